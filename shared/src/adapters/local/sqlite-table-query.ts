import type Database from 'better-sqlite3';
import { AppError } from '../../errors';
import {
  TABLES,
  assertKeyValue,
  assertLimit,
  parseSortKeyCondition,
  type KeyAttribute,
  type KeyValue,
  type QueryOptions,
  type SortKeyCondition,
  type TableName,
  type TableSchema,
  type IndexSchema,
} from '../../ports/table';

// The SQL side of the embedded table store: its schema, and queries by partition and sort-key
// range on a table or a secondary index.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function sqlTable(name: TableName): string {
  return `"items_${name}"`;
}

/** A JSON path into the item; attribute names are checked identifiers, so inlining is safe. */
function jsonPath(attribute: string): string {
  return `json_extract(item, '$.${attribute}')`;
}

function typeFilter(attribute: KeyAttribute): string {
  const types = attribute.type === 'S' ? "('text')" : "('integer', 'real')";
  return `json_type(item, '$.${attribute.name}') IN ${types}`;
}

export function createSchema(db: Database.Database): void {
  for (const [name, schema] of Object.entries(TABLES) as [TableName, TableSchema][]) {
    const table = sqlTable(name);
    // Key columns carry no declared type, so numbers stay numbers and strings stay strings:
    // numeric sort keys order as numbers.
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (pk NOT NULL, sk NOT NULL, item TEXT NOT NULL, ` +
        'PRIMARY KEY (pk, sk)) WITHOUT ROWID',
    );
    for (const [indexName, index] of Object.entries(schema.indexes ?? {})) {
      const attributes = [index.partitionKey, ...(index.sortKey ? [index.sortKey] : [])];
      if (![indexName, ...attributes.map((a) => a.name)].every((n) => IDENTIFIER.test(n))) {
        throw new AppError('internal', `index ${name}.${indexName} has an unusable name`);
      }
      const expressions = attributes.map((a) => jsonPath(a.name)).join(', ');
      db.exec(
        `CREATE INDEX IF NOT EXISTS "items_${name}__${indexName}" ON ${table} ` +
          `(${expressions}, pk, sk)`,
      );
    }
  }
}

export interface BuiltQuery {
  sql: string;
  params: KeyValue[];
  limit: number | undefined;
  cursorWidth: number;
}

export function buildQuery(
  name: TableName,
  schema: TableSchema,
  partitionValue: KeyValue,
  options: QueryOptions,
): BuiltQuery {
  assertLimit(options.limit);
  const index: IndexSchema | undefined = options.index
    ? schema.indexes?.[options.index]
    : undefined;
  if (options.index && !index) throw AppError.invalid(`${name} has no index ${options.index}`);
  const keys = index ?? schema;
  assertKeyValue(keys.partitionKey, partitionValue);
  const where = [index ? `${jsonPath(keys.partitionKey.name)} = ?` : 'pk = ?'];
  const params: KeyValue[] = [partitionValue];
  const sortColumn = keys.sortKey && (index ? jsonPath(keys.sortKey.name) : 'sk');
  if (index) {
    where.push(typeFilter(index.partitionKey));
    if (index.sortKey) where.push(typeFilter(index.sortKey));
  }
  if (options.sortKey) {
    if (!keys.sortKey || !sortColumn) throw AppError.invalid(`${name} has no sort key`);
    const range = sortKeyRange(sortColumn, keys.sortKey, options.sortKey);
    where.push(...range.where);
    params.push(...range.params);
  }
  // Index keys are not unique, so the table key breaks ties and makes the cursor exact.
  const order = index ? [...(sortColumn ? [sortColumn] : []), 'pk', 'sk'] : ['sk'];
  const direction = options.descending ? 'DESC' : 'ASC';
  if (options.cursor) {
    const position = decodeCursor(options.cursor, order.length);
    where.push(
      `(${order.join(', ')}) ${options.descending ? '<' : '>'} (${order.map(() => '?').join(', ')})`,
    );
    params.push(...position);
  }
  const selected = order.map((column, i) => `${column} AS c${i}`).join(', ');
  let sql =
    `SELECT item, ${selected} FROM ${sqlTable(name)} WHERE ${where.join(' AND ')} ` +
    `ORDER BY ${order.map((column) => `${column} ${direction}`).join(', ')}`;
  if (options.limit !== undefined) {
    // One row more than asked tells whether another page exists.
    sql += ' LIMIT ?';
    params.push(options.limit + 1);
  }
  return { sql, params, limit: options.limit, cursorWidth: order.length };
}

function sortKeyRange(
  column: string,
  attribute: KeyAttribute,
  condition: SortKeyCondition,
): { where: string[]; params: KeyValue[] } {
  const { op, values } = parseSortKeyCondition(attribute, condition);
  const [first = '', second = first] = values;
  switch (op) {
    case 'beginsWith': {
      // A range rather than a pattern, so that the primary key or the index serves it.
      const end = prefixEnd(String(first));
      return end === undefined
        ? { where: [`${column} >= ?`], params: [first] }
        : { where: [`${column} >= ?`, `${column} < ?`], params: [first, end] };
    }
    case 'between':
      return { where: [`${column} BETWEEN ? AND ?`], params: [first, second] };
    default: {
      const operator = { eq: '=', lt: '<', lte: '<=', gt: '>', gte: '>=' }[op];
      return { where: [`${column} ${operator} ?`], params: [first] };
    }
  }
}

/** The least string above every string that starts with `prefix` (UTF-8 byte order). */
function prefixEnd(prefix: string): string | undefined {
  const points: number[] = [];
  for (const char of prefix) points.push(char.codePointAt(0) ?? 0);
  while (points.length > 0) {
    const last = points.pop() ?? 0;
    if (last < 0x10ffff) {
      return String.fromCodePoint(...points, last === 0xd7ff ? 0xe000 : last + 1);
    }
  }
  return undefined;
}

function decodeCursor(cursor: string, width: number): KeyValue[] {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new AppError('invalid_input', 'malformed cursor', { cause: error });
  }
  const valid =
    Array.isArray(position) &&
    position.length === width &&
    position.every((value) => typeof value === 'string' || typeof value === 'number');
  if (!valid) throw AppError.invalid('malformed cursor');
  return position as KeyValue[];
}

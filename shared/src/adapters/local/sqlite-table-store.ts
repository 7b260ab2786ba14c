import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { AppError, ConditionFailedError, isAppError } from '../../errors';
import {
  TABLES,
  keyOf,
  normalizeUpdate,
  parseCondition,
  type Condition,
  type Item,
  type KeyValue,
  type QueryOptions,
  type QueryResult,
  type Table,
  type TableName,
  type TableSchema,
  type TableStore,
  type UpdateOptions,
} from '../../ports/table';
import { buildQuery, createSchema, sqlTable } from './sqlite-table-query';

export interface SqliteTableStoreOptions {
  /** The SQLite database file (':memory:' for a private in-memory store). */
  path: string;
  /** How long a writer waits for another process's lock before failing as `unavailable`. */
  busyTimeoutMs?: number;
}

/** The sort-key column of tables without a sort key, so that every table has the same shape. */
const NO_SORT_KEY = '';

/**
 * The embedded table store: one SQLite table per logical table, holding the key columns and the
 * item as JSON. Secondary indexes are expression indexes over the item's JSON, so they need no
 * upkeep on write and a new index fills itself from existing rows when it is created. Writes run
 * in immediate transactions, so a condition is checked and acted on under the write lock, also
 * when several processes share the file.
 */
export class SqliteTableStore implements TableStore {
  private readonly engine: Engine;

  constructor(readonly options: SqliteTableStoreOptions) {
    this.engine = new Engine(options);
  }

  table<T extends Item = Item>(name: TableName): Table<T> {
    return new SqliteTable<T>(this.engine, name, TABLES[name]);
  }

  /**
   * SQLite's plan for a query (EXPLAIN QUERY PLAN details), for tests and benchmarks that check
   * that a query is served by an index rather than a scan.
   */
  queryPlan(name: TableName, partitionValue: KeyValue, options: QueryOptions = {}): string[] {
    const { sql, params } = buildQuery(name, TABLES[name], partitionValue, options);
    return this.engine
      .read(() => this.engine.statement(`EXPLAIN QUERY PLAN ${sql}`).all(...params))
      .map((row) => (typeof row === 'object' && row && 'detail' in row ? String(row.detail) : ''));
  }

  async close(): Promise<void> {
    this.engine.close();
  }
}

/** The connection and its prepared statements, shared by the tables of one store. */
class Engine {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: SqliteTableStoreOptions) {
    this.db = new Database(options.path);
    // Several processes share the file: the busy timeout makes a writer wait for the lock rather
    // than fail at once (set first, since switching to WAL may itself wait), and WAL lets readers
    // run beside the writer.
    this.db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 10_000)}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.write(() => createSchema(this.db));
  }

  /** Runs `fn` in an immediate transaction, mapping SQLite failures to AppError. */
  write<R>(fn: () => R): R {
    return guard(() => this.db.transaction(fn).immediate());
  }

  read<R>(fn: () => R): R {
    return guard(fn);
  }

  /** Prepared statements are cached by their text; there are few shapes. */
  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

class SqliteTable<T extends Item> implements Table<T> {
  private readonly sql: string;

  constructor(
    private readonly engine: Engine,
    private readonly name: TableName,
    readonly schema: TableSchema,
  ) {
    this.sql = sqlTable(name);
  }

  async get(key: Item): Promise<T | undefined> {
    const columns = this.keyColumns(key);
    return this.engine.read(() => this.current(columns));
  }

  async put(item: T, options: { condition?: Condition } = {}): Promise<void> {
    const columns = this.keyColumns(item);
    const json = JSON.stringify(item);
    const { condition } = options;
    if (condition) matches(condition, {}); // rejects a malformed condition before locking
    this.engine.write(() => {
      if (condition) this.check(condition, this.current(columns));
      this.save(columns, json);
    });
  }

  async update(key: Item, set: Partial<T>, options: UpdateOptions = {}): Promise<T> {
    const keyValues = keyOf(this.schema, key);
    const columns = this.keyColumns(keyValues);
    const actions = normalizeUpdate(this.schema, keyValues, set, options);
    if (options.condition) matches(options.condition, {});
    return this.engine.write(() => {
      const current = this.current(columns);
      if (options.condition) this.check(options.condition, current);
      const next: Item = { ...current, ...keyValues, ...actions.set };
      for (const name of actions.remove) delete next[name];
      for (const [name, by] of Object.entries(actions.increment)) {
        const value = next[name] ?? 0;
        if (typeof value !== 'number') throw AppError.invalid(`${name} is not a number`);
        next[name] = value + by;
      }
      const json = JSON.stringify(next);
      this.save(columns, json);
      return JSON.parse(json) as T;
    });
  }

  async delete(key: Item, options: { condition?: Condition } = {}): Promise<T | undefined> {
    const columns = this.keyColumns(key);
    const { condition } = options;
    if (condition) matches(condition, {});
    return this.engine.write(() => {
      const current = this.current(columns);
      if (condition) this.check(condition, current);
      if (current) {
        this.engine.statement(`DELETE FROM ${this.sql} WHERE pk = ? AND sk = ?`).run(...columns);
      }
      return current;
    });
  }

  async query(partitionValue: KeyValue, options: QueryOptions = {}): Promise<QueryResult<T>> {
    const { sql, params, limit, cursorWidth } = buildQuery(
      this.name,
      this.schema,
      partitionValue,
      options,
    );
    const rows = this.engine.read(() => this.engine.statement(sql).all(...params)).map(asRow);
    const page = limit !== undefined && rows.length > limit ? rows.slice(0, limit) : rows;
    const items = page.map((row) => JSON.parse(row.item) as T);
    const last = page[page.length - 1];
    if (page.length === rows.length || !last) return { items };
    const position = Array.from({ length: cursorWidth }, (_, i) => last[`c${i}`]);
    return { items, cursor: Buffer.from(JSON.stringify(position)).toString('base64url') };
  }

  private keyColumns(item: Item): [KeyValue, KeyValue] {
    const [partition, sort = NO_SORT_KEY] = Object.values(keyOf(this.schema, item));
    return [partition ?? NO_SORT_KEY, sort];
  }

  private current(columns: [KeyValue, KeyValue]): T | undefined {
    const row = this.engine
      .statement(`SELECT item FROM ${this.sql} WHERE pk = ? AND sk = ?`)
      .get(...columns);
    return row === undefined ? undefined : (JSON.parse(asRow(row).item) as T);
  }

  private check(condition: Condition, current: T | undefined): void {
    if (!matches(condition, current ?? {})) throw new ConditionFailedError();
  }

  private save(columns: [KeyValue, KeyValue], json: string): void {
    this.engine
      .statement(`INSERT OR REPLACE INTO ${this.sql} (pk, sk, item) VALUES (?, ?, ?)`)
      .run(...columns, json);
  }
}

interface Row {
  item: string;
  [column: string]: unknown;
}

function asRow(row: unknown): Row {
  if (typeof row === 'object' && row !== null && 'item' in row && typeof row.item === 'string') {
    return row as Row;
  }
  throw new AppError('internal', 'unexpected row from the table store');
}

function guard<R>(fn: () => R): R {
  try {
    return fn();
  } catch (error) {
    if (isAppError(error)) throw error;
    if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) {
      throw new AppError('unavailable', 'the table store is busy', { cause: error });
    }
    throw new AppError('internal', 'the table store failed', { cause: error });
  }
}

/** Evaluates a condition on an item (`{}` when there is none), as DynamoDB would. */
function matches(condition: Condition, item: Item): boolean {
  const node = parseCondition(condition);
  if (node.op === 'and' || node.op === 'or') {
    // Every member is evaluated, so a malformed member fails even where another decides.
    const results = node.members.map((member) => matches(member, item));
    return node.op === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  const present = Object.hasOwn(item, node.attribute) && item[node.attribute] !== undefined;
  const value = item[node.attribute];
  switch (node.op) {
    case 'exists':
      return present;
    case 'notExists':
      return !present;
    case 'eq':
      return present && isDeepStrictEqual(value, node.value);
    case 'ne':
      return !(present && isDeepStrictEqual(value, node.value));
    case 'in':
      return present && node.values.some((candidate) => isDeepStrictEqual(value, candidate));
    default: {
      const order = compare(value, node.value);
      if (order === undefined) return false;
      return { lt: order < 0, lte: order <= 0, gt: order > 0, gte: order >= 0 }[node.op];
    }
  }
}

/** Orders two numbers or two strings (by UTF-8 bytes, as DynamoDB and SQLite do); else none. */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') {
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  return undefined;
}

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { AppError, ConditionFailedError, isAppError } from '../../errors';
import {
  TABLES,
  assertKeyValue,
  assertLimit,
  keyOf,
  normalizeUpdate,
  parseCondition,
  parseSortKeyCondition,
  type Condition,
  type Item,
  type KeyAttribute,
  type KeyValue,
  type QueryOptions,
  type QueryResult,
  type SortKeyCondition,
  type Table,
  type TableName,
  type TableSchema,
  type TableStore,
  type UpdateOptions,
} from '../../ports/table';

export interface DynamoTableStoreOptions {
  /** The caller's client (region, endpoint, retries); the store never destroys it. */
  client: DynamoDBClient;
  /** The physical table of each logical table. */
  tableNames: Record<TableName, string>;
}

/**
 * The table port on DynamoDB, through the document client. Conditions and updates become
 * expressions whose names and values are always placeholders.
 */
export class DynamoTableStore implements TableStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly options: DynamoTableStoreOptions) {
    // Undefined attributes are left out, as JSON.stringify does in the embedded store.
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  table<T extends Item = Item>(name: TableName): Table<T> {
    return new DynamoTable<T>(this.doc, this.options.tableNames[name], TABLES[name]);
  }
}

/** Collects expression placeholders: `#n0` for names, `:v0` for values. */
class Expression {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();

  name(attribute: string): string {
    let placeholder = this.byName.get(attribute);
    if (!placeholder) {
      placeholder = `#n${this.byName.size}`;
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The placeholder maps, left out when empty (DynamoDB rejects empty maps). */
  params(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(this.byName.size > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

const COMPARATORS = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

function conditionExpression(condition: Condition, expr: Expression): string {
  const node = parseCondition(condition);
  switch (node.op) {
    case 'and':
    case 'or': {
      const members = node.members.map((member) => `(${conditionExpression(member, expr)})`);
      return members.join(node.op === 'and' ? ' AND ' : ' OR ');
    }
    case 'exists':
      return `attribute_exists(${expr.name(node.attribute)})`;
    case 'notExists':
      return `attribute_not_exists(${expr.name(node.attribute)})`;
    case 'in': {
      // DynamoDB takes at most 100 operands per IN.
      const name = expr.name(node.attribute);
      const groups: string[] = [];
      for (let i = 0; i < node.values.length; i += 100) {
        const values = node.values.slice(i, i + 100).map((value) => expr.value(value));
        groups.push(`${name} IN (${values.join(', ')})`);
      }
      return groups.join(' OR ');
    }
    default:
      return `${expr.name(node.attribute)} ${COMPARATORS[node.op]} ${expr.value(node.value)}`;
  }
}

function sortKeyExpression(
  attribute: KeyAttribute,
  condition: SortKeyCondition,
  expr: Expression,
): string {
  // Checked against the declared type first, so that a mistake is invalid input, as on SQLite.
  const { op, values } = parseSortKeyCondition(attribute, condition);
  const name = expr.name(attribute.name);
  const [first, second] = values.map((value) => expr.value(value));
  if (op === 'beginsWith') return `begins_with(${name}, ${first})`;
  if (op === 'between') return `${name} BETWEEN ${first} AND ${second}`;
  return `${name} ${COMPARATORS[op]} ${first}`;
}

class DynamoTable<T extends Item> implements Table<T> {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    readonly schema: TableSchema,
  ) {}

  async get(key: Item): Promise<T | undefined> {
    const Key = keyOf(this.schema, key);
    const output = await this.call(() =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true })),
    );
    return output.Item as T | undefined;
  }

  async put(item: T, options: { condition?: Condition } = {}): Promise<void> {
    keyOf(this.schema, item);
    const expr = new Expression();
    const condition = options.condition && conditionExpression(options.condition, expr);
    await this.call(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(condition ? { ConditionExpression: condition } : {}),
          ...expr.params(),
        }),
      ),
    );
  }

  async update(key: Item, set: Partial<T>, options: UpdateOptions = {}): Promise<T> {
    const keyValues = keyOf(this.schema, key);
    const actions = normalizeUpdate(this.schema, keyValues, set, options);
    const expr = new Expression();
    const assignments = Object.entries(actions.set).map(
      ([name, value]) => `${expr.name(name)} = ${expr.value(value)}`,
    );
    const additions = Object.entries(actions.increment).map(
      ([name, by]) => `${expr.name(name)} ${expr.value(by)}`,
    );
    const removals = actions.remove.map((name) => expr.name(name));
    const clauses = [
      assignments.length > 0 ? `SET ${assignments.join(', ')}` : '',
      removals.length > 0 ? `REMOVE ${removals.join(', ')}` : '',
      additions.length > 0 ? `ADD ${additions.join(', ')}` : '',
    ];
    const condition = options.condition && conditionExpression(options.condition, expr);
    const output = await this.call(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyValues,
          UpdateExpression: clauses.filter(Boolean).join(' '),
          ...(condition ? { ConditionExpression: condition } : {}),
          ...expr.params(),
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return (output.Attributes ?? { ...keyValues }) as T;
  }

  async delete(key: Item, options: { condition?: Condition } = {}): Promise<T | undefined> {
    const Key = keyOf(this.schema, key);
    const expr = new Expression();
    const condition = options.condition && conditionExpression(options.condition, expr);
    const output = await this.call(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key,
          ...(condition ? { ConditionExpression: condition } : {}),
          ...expr.params(),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return output.Attributes as T | undefined;
  }

  async query(partitionValue: KeyValue, options: QueryOptions = {}): Promise<QueryResult<T>> {
    assertLimit(options.limit);
    const index = options.index ? this.schema.indexes?.[options.index] : undefined;
    if (options.index && !index) {
      throw AppError.invalid(`${this.tableName} has no index ${options.index}`);
    }
    const keys = index ?? this.schema;
    assertKeyValue(keys.partitionKey, partitionValue);
    const expr = new Expression();
    const conditions = [`${expr.name(keys.partitionKey.name)} = ${expr.value(partitionValue)}`];
    if (options.sortKey) {
      if (!keys.sortKey) throw AppError.invalid(`${this.tableName} has no sort key`);
      conditions.push(sortKeyExpression(keys.sortKey, options.sortKey, expr));
    }
    const start = options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor) } : {};
    const output = await this.call(() =>
      this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: conditions.join(' AND '),
          ...expr.params(),
          ...(options.index ? { IndexName: options.index } : { ConsistentRead: true }),
          ...(options.limit !== undefined ? { Limit: options.limit } : {}),
          ...start,
          ScanIndexForward: !options.descending,
        }),
      ),
    );
    const items = (output.Items ?? []) as T[];
    if (!output.LastEvaluatedKey) return { items };
    const cursor = Buffer.from(JSON.stringify(output.LastEvaluatedKey)).toString('base64url');
    return { items, cursor };
  }

  private async call<R>(request: () => Promise<R>): Promise<R> {
    try {
      return await request();
    } catch (error) {
      throw mapDynamoError(error, this.tableName);
    }
  }
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

/**
 * Maps an SDK failure to the port's errors: a failed condition; a retryable `unavailable` for
 * throttling, 5xx and transport failures (those carry request metadata but no fault, like a
 * refused connection); otherwise a non-retryable error that names the table.
 */
export function mapDynamoError(error: unknown, tableName: string): AppError {
  if (isAppError(error)) return error;
  const { name, fault, status, sent } = describeError(error);
  if (name === 'ConditionalCheckFailedException') return new ConditionFailedError(undefined, error);
  const transport = sent && fault === undefined;
  if (RETRYABLE.has(name) || fault === 'server' || (status ?? 0) >= 500 || transport) {
    return new AppError('unavailable', `DynamoDB is unavailable (${tableName}: ${name})`, {
      retryable: true,
      cause: error,
    });
  }
  if (name === 'ValidationException') {
    return new AppError('invalid_input', `DynamoDB rejected the request on ${tableName}`, {
      cause: error,
    });
  }
  return new AppError('internal', `DynamoDB failed on ${tableName}: ${name}`, { cause: error });
}

interface ErrorFacts {
  name: string;
  fault: string | undefined;
  status: number | undefined;
  /** Whether the SDK tried to send the request (it attaches metadata then). */
  sent: boolean;
}

function describeError(error: unknown): ErrorFacts {
  if (typeof error !== 'object' || error === null) {
    return { name: 'UnknownError', fault: undefined, status: undefined, sent: false };
  }
  const name = 'name' in error && typeof error.name === 'string' ? error.name : 'UnknownError';
  const fault = '$fault' in error && typeof error.$fault === 'string' ? error.$fault : undefined;
  const metadata = '$metadata' in error ? error.$metadata : undefined;
  const status =
    typeof metadata === 'object' && metadata !== null && 'httpStatusCode' in metadata
      ? Number(metadata.httpStatusCode) || undefined
      : undefined;
  return { name, fault, status, sent: typeof metadata === 'object' && metadata !== null };
}

function decodeCursor(cursor: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new AppError('invalid_input', 'malformed cursor', { cause: error });
  }
  const valid =
    typeof key === 'object' &&
    key !== null &&
    !Array.isArray(key) &&
    Object.values(key).every((value) => typeof value === 'string' || typeof value === 'number');
  if (!valid) throw AppError.invalid('malformed cursor');
  return key as Record<string, unknown>;
}

import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { AppError } from '../../../errors';
import { TABLES, type IndexSchema, type TableName, type TableSchema } from '../../../ports/table';
import { mapDynamoError } from '../dynamo-table-store';

export interface ProvisionTablesOptions {
  dynamodb: DynamoDBClient;
  tableNames: Record<TableName, string>;
  /** How long to wait for a table or index to become active; 10 minutes unless set. */
  timeoutMs?: number;
}

/** Physical table names under one prefix: `<prefix>-kb-files`, and so on. */
export function tableNamesFor(prefix: string): Record<TableName, string> {
  return {
    projects: `${prefix}-projects`,
    files: `${prefix}-files`,
    kbFiles: `${prefix}-kb-files`,
    chats: `${prefix}-chats`,
    chatHistory: `${prefix}-chat-history`,
    rateLimits: `${prefix}-rate-limits`,
    leases: `${prefix}-leases`,
  };
}

/**
 * Creates the tables of TABLES that are missing (on-demand billing, every index projecting all
 * attributes, streams with new and old images where `stream`, TTL on `ttlAttribute`) and brings
 * existing ones up to date with missing indexes, stream and TTL; then waits until all are
 * active. Idempotent: safe to run on every deploy and from several processes at once. Works on
 * AWS, LocalStack and moto's server.
 */
export async function provisionTables(opts: ProvisionTablesOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  const names = Object.keys(TABLES) as TableName[];
  await Promise.all(
    names.map(async (name) => {
      const tableName = opts.tableNames[name];
      try {
        await ensureTable(opts.dynamodb, tableName, TABLES[name], deadline);
      } catch (error) {
        throw mapDynamoError(error, tableName);
      }
    }),
  );
}

async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  schema: TableSchema,
  deadline: number,
): Promise<void> {
  if (!(await describeTable(client, tableName))) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName, schema)));
    } catch (error) {
      // Another process created it in the meantime.
      if (errorName(error) !== 'ResourceInUseException') throw error;
    }
  }
  let table = await waitUntilActive(client, tableName, deadline);
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  // DynamoDB creates one index per UpdateTable call.
  for (const index of globalIndexes(schema).filter((i) => !present.has(i.IndexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: attributeDefinitions(schema),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    table = await waitUntilActive(client, tableName, deadline);
  }
  await ensureStream(client, table, schema, deadline);
  await ensureTimeToLive(client, tableName, schema);
}

async function ensureStream(
  client: DynamoDBClient,
  table: TableDescription,
  schema: TableSchema,
  deadline: number,
): Promise<void> {
  const tableName = table.TableName ?? '';
  const current = table.StreamSpecification;
  if (!schema.stream || current?.StreamEnabled) {
    if (schema.stream && current?.StreamViewType !== 'NEW_AND_OLD_IMAGES') {
      // Changing the view type replaces the stream (and its ARN): an operator's decision.
      throw new AppError('internal', `${tableName} streams ${current?.StreamViewType} images`);
    }
    return;
  }
  await client.send(
    new UpdateTableCommand({
      TableName: tableName,
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilActive(client, tableName, deadline);
}

async function ensureTimeToLive(
  client: DynamoDBClient,
  tableName: string,
  schema: TableSchema,
): Promise<void> {
  const attribute = schema.ttlAttribute;
  if (!attribute) return;
  const { TimeToLiveDescription: ttl } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = ttl?.TimeToLiveStatus ?? 'DISABLED';
  if (status === 'ENABLED' || status === 'ENABLING') {
    if (ttl?.AttributeName === attribute) return;
    // DynamoDB allows one TTL attribute, and changing it needs disabling first (with a cooldown).
    throw new AppError('internal', `${tableName} expires items by ${ttl?.AttributeName}`);
  }
  if (status === 'DISABLING') {
    throw new AppError('unavailable', `TTL on ${tableName} is being disabled; try again later`);
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }),
  );
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Polls until the table and all its indexes are ACTIVE (emulators are at once; AWS is not). */
async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  deadline: number,
): Promise<TableDescription> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 5000)) {
    const table = await describeTable(client, tableName);
    const indexes = table?.GlobalSecondaryIndexes ?? [];
    if (table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) {
      return table;
    }
    if (Date.now() + delay > deadline) {
      throw new AppError('unavailable', `${tableName} did not become active in time`);
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function createTableInput(tableName: string, schema: TableSchema): CreateTableCommandInput {
  const indexes = globalIndexes(schema);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions(schema),
    KeySchema: keySchema(schema),
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
    ...(schema.stream
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }
      : {}),
  };
}

function globalIndexes(schema: TableSchema): GlobalSecondaryIndex[] {
  return Object.entries(schema.indexes ?? {}).map(([IndexName, index]) => ({
    IndexName,
    KeySchema: keySchema(index),
    Projection: { ProjectionType: 'ALL' },
  }));
}

function keySchema(keys: IndexSchema): KeySchemaElement[] {
  return [
    { AttributeName: keys.partitionKey.name, KeyType: 'HASH' },
    ...(keys.sortKey ? [{ AttributeName: keys.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

/** Every key attribute of the table and its indexes, once each. */
function attributeDefinitions(schema: TableSchema): AttributeDefinition[] {
  const types = new Map<string, 'S' | 'N'>();
  for (const keys of [schema, ...Object.values(schema.indexes ?? {})]) {
    types.set(keys.partitionKey.name, keys.partitionKey.type);
    if (keys.sortKey) types.set(keys.sortKey.name, keys.sortKey.type);
  }
  return [...types].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error
    ? String(error.name)
    : undefined;
}

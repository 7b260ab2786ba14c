import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoTableStore } from '../src/adapters/aws/dynamo-table-store';
import { provisionTables, tableNamesFor } from '../src/adapters/aws/provision/tables';
import { describeTableStore } from '../src/contracts/table.contract';
import { isAppError } from '../src/errors';
import { freePort, testAwsEndpoint, uniquePrefix } from '../src/testing';

function client(endpoint = testAwsEndpoint(), maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', maxAttempts });
}

describeTableStore('DynamoDB on moto', async () => {
  const dynamodb = client();
  const tableNames = tableNamesFor(uniquePrefix('contract'));
  await provisionTables({ dynamodb, tableNames });
  return {
    store: new DynamoTableStore({ client: dynamodb, tableNames }),
    async cleanup() {
      dynamodb.destroy();
    },
  };
});

describe('provisionTables', () => {
  const dynamodb = client();
  afterAll(() => dynamodb.destroy());

  it('creates the tables with index, stream and TTL, and is idempotent', async () => {
    const tableNames = tableNamesFor(uniquePrefix('prov'));
    await provisionTables({ dynamodb, tableNames });
    await provisionTables({ dynamodb, tableNames });
    const { Table: kbFiles } = await dynamodb.send(
      new DescribeTableCommand({ TableName: tableNames.kbFiles }),
    );
    expect(kbFiles?.TableStatus).toBe('ACTIVE');
    expect(kbFiles?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(kbFiles?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(kbFiles?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual(['byExpiry']);
    expect(kbFiles?.GlobalSecondaryIndexes?.[0]?.Projection?.ProjectionType).toBe('ALL');
    expect(kbFiles?.GlobalSecondaryIndexes?.[0]?.KeySchema).toEqual([
      { AttributeName: 'expiryShard', KeyType: 'HASH' },
      { AttributeName: 'ttl', KeyType: 'RANGE' },
    ]);
    for (const [table, attribute] of [
      [tableNames.kbFiles, 'ttl'],
      [tableNames.rateLimits, 'expire'],
    ] as const) {
      const { TimeToLiveDescription } = await dynamodb.send(
        new DescribeTimeToLiveCommand({ TableName: table }),
      );
      expect(TimeToLiveDescription).toEqual({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: attribute,
      });
    }
    const { Table: history } = await dynamodb.send(
      new DescribeTableCommand({ TableName: tableNames.chatHistory }),
    );
    expect(history?.KeySchema).toEqual([
      { AttributeName: 'chatId', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ]);
    expect(history?.AttributeDefinitions).toContainEqual({
      AttributeName: 'seq',
      AttributeType: 'N',
    });
    expect(history?.StreamSpecification?.StreamEnabled).not.toBe(true);
  });

  it('names the tables under the prefix', () => {
    expect(tableNamesFor('jitkb')).toEqual({
      projects: 'jitkb-projects',
      files: 'jitkb-files',
      kbFiles: 'jitkb-kb-files',
      chats: 'jitkb-chats',
      chatHistory: 'jitkb-chat-history',
      rateLimits: 'jitkb-rate-limits',
      leases: 'jitkb-leases',
    });
  });
});

describe('DynamoTableStore errors', () => {
  it('reports an unreachable endpoint as retryable unavailable', async () => {
    const dynamodb = client(`http://127.0.0.1:${await freePort()}`, 1);
    const store = new DynamoTableStore({ client: dynamodb, tableNames: tableNamesFor('none') });
    const error: unknown = await store
      .table('projects')
      .get({ tenantId: 't', projectId: 'p' })
      .catch((e: unknown) => e);
    dynamodb.destroy();
    expect(isAppError(error) && [error.code, error.retryable]).toEqual(['unavailable', true]);
  });

  it('reports a missing table as a non-retryable error naming the table', async () => {
    const dynamodb = client();
    const tableNames = tableNamesFor(uniquePrefix('missing'));
    const store = new DynamoTableStore({ client: dynamodb, tableNames });
    const error: unknown = await store
      .table('projects')
      .get({ tenantId: 't', projectId: 'p' })
      .catch((e: unknown) => e);
    dynamodb.destroy();
    expect(isAppError(error) && [error.code, error.retryable]).toEqual(['internal', false]);
    expect(isAppError(error) && error.message).toContain(tableNames.projects);
  });
});

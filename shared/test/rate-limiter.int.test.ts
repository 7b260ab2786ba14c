import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoRateLimiterFactory } from '../src/adapters/aws/dynamo-rate-limiter';
import { describeRateLimiter } from '../src/contracts/rate-limiter.contract';
import { TABLES } from '../src/ports/table';
import { testAwsEndpoint, uniquePrefix } from '../src/testing';

function client(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: testAwsEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

/** The rate-limits table as TABLES.rateLimits describes it (what localstack/ provisions). */
async function createTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  const schema = TABLES.rateLimits;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: schema.partitionKey.name, AttributeType: schema.partitionKey.type },
      ],
      KeySchema: [{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }],
    }),
  );
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: schema.ttlAttribute, Enabled: true },
    }),
  );
}

describeRateLimiter('DynamoDB (moto)', async () => {
  const dynamodb = client();
  const tableName = uniquePrefix('rate-limits');
  await createTable(dynamodb, tableName);
  return {
    factory: new DynamoRateLimiterFactory({ dynamodb, tableName }),
    other: () => new DynamoRateLimiterFactory({ dynamodb: client(), tableName }),
    async cleanup() {
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
      dynamodb.destroy();
    },
  };
});

describe('DynamoRateLimiterFactory', () => {
  it('writes items keyed and expiring as TABLES.rateLimits declares', async () => {
    const dynamodb = client();
    const tableName = uniquePrefix('rate-limits');
    await createTable(dynamodb, tableName);
    try {
      const limiter = new DynamoRateLimiterFactory({ dynamodb, tableName }).create('queries-free', {
        points: 10,
        durationSeconds: 60,
      });
      await limiter.consume('acme');
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: tableName, Key: { key: { S: 'queries-free:acme' } } }),
      );
      const expire = Number(Item?.[TABLES.rateLimits.ttlAttribute]?.N);
      expect(Item?.points?.N).toBe('1');
      expect(expire).toBeGreaterThan(Date.now() / 1000 + 55);
      expect(expire).toBeLessThanOrEqual(Date.now() / 1000 + 60);
    } finally {
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
      dynamodb.destroy();
    }
  });

  it('reports a missing table as unavailable', async () => {
    const dynamodb = client();
    try {
      const limiter = new DynamoRateLimiterFactory({
        dynamodb,
        tableName: uniquePrefix('missing'),
      }).create('q', { points: 1, durationSeconds: 60 });
      await expect(limiter.consume('t')).rejects.toMatchObject({ code: 'unavailable' });
    } finally {
      dynamodb.destroy();
    }
  });
});

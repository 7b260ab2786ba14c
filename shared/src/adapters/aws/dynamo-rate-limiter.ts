import {
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  type GetItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { RateLimiterDynamo } from 'rate-limiter-flexible';
import type { RateLimit, RateLimiter, RateLimiterFactory } from '../../ports/rate-limiter';
import { checkRateLimit, FlexibleRateLimiter } from '../local/flexible-rate-limiter';

export interface DynamoRateLimiterFactoryOptions {
  dynamodb: DynamoDBClient;
  /**
   * The rate-limits table (TABLES.rateLimits): partition key `key` (S), TTL on `expire`. The
   * library writes `points` and `expire` (epoch seconds) on each item.
   */
  tableName: string;
}

/**
 * The three calls RateLimiterDynamo makes once its table exists, over the caller's DynamoDBClient:
 * the library expects the aggregated `DynamoDB` class, whose methods are thin `send` wrappers.
 */
function storeClient(dynamodb: DynamoDBClient) {
  return {
    getItem: (input: GetItemCommandInput) => dynamodb.send(new GetItemCommand(input)),
    updateItem: (input: UpdateItemCommandInput) => dynamodb.send(new UpdateItemCommand(input)),
    deleteItem: (input: DeleteItemCommandInput) => dynamodb.send(new DeleteItemCommand(input)),
  };
}

/**
 * Rate limiters on DynamoDB (rate-limiter-flexible's RateLimiterDynamo), shared by all replicas.
 * The table is provisioned by localstack/ and Helm, never by the service, so table creation and
 * TTL set-up are switched off.
 */
export class DynamoRateLimiterFactory implements RateLimiterFactory {
  private readonly client: ReturnType<typeof storeClient>;

  constructor(private readonly options: DynamoRateLimiterFactoryOptions) {
    this.client = storeClient(options.dynamodb);
  }

  create(name: string, limit: RateLimit): RateLimiter {
    checkRateLimit(name, limit);
    const store = new RateLimiterDynamo({
      storeClient: this.client,
      tableName: this.options.tableName,
      tableCreated: true,
      ttlSet: true,
      keyPrefix: name,
      points: limit.points,
      duration: limit.durationSeconds,
    });
    return new FlexibleRateLimiter(name, limit, store);
  }
}

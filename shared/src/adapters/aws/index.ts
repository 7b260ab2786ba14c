import type { AwsModeConfig } from '../../config/base';
import type { ConsumerName } from '../../events/subscriptions';
import type { TableName } from '../../ports/table';
import type { Adapters, CreateAdaptersOptions } from '../index';
import { createAwsClients } from './clients';
import { DynamoRateLimiterFactory } from './dynamo-rate-limiter';
import { DynamoTableStore } from './dynamo-table-store';
import { S3ObjectStore } from './s3-object-store';
import { SnsSqsEventBus } from './sns-sqs-event-bus';

export { createAwsClients, type AwsClients } from './clients';
export { DynamoTableStore } from './dynamo-table-store';
export { DynamoRateLimiterFactory } from './dynamo-rate-limiter';
export { S3ObjectStore } from './s3-object-store';
export { SnsSqsEventBus } from './sns-sqs-event-bus';
export { BedrockGenerator, type BedrockGeneratorOptions } from './bedrock-generator';
export { provisionMessaging } from './provision/messaging';
export { provisionTables, tableNamesFor } from './provision/tables';
export { provisionBucket } from './provision/bucket';

/** The variable that names each table. */
export const TABLE_VARIABLES = {
  projects: 'TABLE_PROJECTS',
  files: 'TABLE_FILES',
  kbFiles: 'TABLE_KB_FILES',
  chats: 'TABLE_CHATS',
  chatHistory: 'TABLE_CHAT_HISTORY',
  rateLimits: 'TABLE_RATE_LIMITS',
  leases: 'TABLE_LEASES',
} as const satisfies Record<TableName, keyof AwsModeConfig>;

const TABLES = Object.keys(TABLE_VARIABLES) as TableName[];

/** Table names from the TABLE_* variables. */
export function tableNamesFromConfig(config: AwsModeConfig): Record<TableName, string> {
  return Object.fromEntries(
    TABLES.map((table) => [table, config[TABLE_VARIABLES[table]]]),
  ) as Record<TableName, string>;
}

/** Provisioned resources, as the services' environment for the aws mode names them. */
export function awsModeEnv(resources: {
  region: string;
  endpoint?: string | undefined;
  topicArn: string;
  bucket: string;
  tableNames: Record<TableName, string>;
  queueUrls: Partial<Record<ConsumerName, string>>;
}): Record<string, string> {
  const env: Record<string, string> = {
    JITKB_MODE: 'aws',
    AWS_REGION: resources.region,
    ...(resources.endpoint ? { AWS_ENDPOINT_URL: resources.endpoint } : {}),
    EVENTS_TOPIC_ARN: resources.topicArn,
    BUCKET_NAME: resources.bucket,
  };
  for (const table of TABLES) env[TABLE_VARIABLES[table]] = resources.tableNames[table];
  for (const [consumer, url] of Object.entries(resources.queueUrls)) {
    env[`QUEUE_URL_${consumer.toUpperCase()}`] = url;
  }
  return env;
}

function queueUrlsFromConfig(config: AwsModeConfig): Partial<Record<ConsumerName, string>> {
  const urls: Partial<Record<ConsumerName, string>> = {};
  if (config.QUEUE_URL_PROJECT) urls.project = config.QUEUE_URL_PROJECT;
  if (config.QUEUE_URL_CHAT) urls.chat = config.QUEUE_URL_CHAT;
  if (config.QUEUE_URL_INGESTION) urls.ingestion = config.QUEUE_URL_INGESTION;
  if (config.QUEUE_URL_JANITOR) urls.janitor = config.QUEUE_URL_JANITOR;
  return urls;
}

/** The aws family: SNS/SQS, DynamoDB and S3, on AWS or any AWS API endpoint. */
export function createAwsAdapters(config: AwsModeConfig, options: CreateAdaptersOptions): Adapters {
  const clients = createAwsClients({
    region: config.AWS_REGION,
    endpoint: config.AWS_ENDPOINT_URL,
  });
  const bus = new SnsSqsEventBus({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArn: config.EVENTS_TOPIC_ARN,
    queueUrls: queueUrlsFromConfig(config),
    log: options.log,
  });
  return {
    mode: 'aws',
    tables: new DynamoTableStore({
      client: clients.dynamodb,
      tableNames: tableNamesFromConfig(config),
    }),
    objects: new S3ObjectStore({ client: clients.s3, bucket: config.BUCKET_NAME }),
    bus,
    rateLimiters: new DynamoRateLimiterFactory({
      dynamodb: clients.dynamodb,
      tableName: config.TABLE_RATE_LIMITS,
    }),
    async close() {
      await bus.close?.();
      clients.destroy();
    },
  };
}

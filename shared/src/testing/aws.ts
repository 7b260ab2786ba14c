import type { ConsumerName } from '../events/subscriptions';
import type { TableName } from '../ports/table';

/** The emulator started by the test run's global setup; throws when there is none. */
export function testAwsEndpoint(): string {
  const endpoint = process.env.JITKB_TEST_AWS_ENDPOINT;
  if (!endpoint)
    throw new Error('JITKB_TEST_AWS_ENDPOINT is not set: the jest global setup starts moto');
  return endpoint;
}

/** A short unique prefix so that each test suite has resources of its own on the shared emulator. */
export function uniquePrefix(label: string): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-${label}`.toLowerCase();
}

/** Resources of one test on the emulator, and the environment that names them. */
export interface TestAwsResources {
  prefix: string;
  /** JITKB_MODE=aws with the endpoint, topic, bucket, tables and every consumer's queue. */
  env: Record<string, string>;
  tableNames: Record<TableName, string>;
  queueUrls: Record<ConsumerName, string>;
}

/** Creates a fresh topic with its queues, the tables and a bucket on the test run's emulator. */
export async function provisionTestAws(label: string): Promise<TestAwsResources> {
  // Loaded here only, so that an embedded test never loads the AWS SDK.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const aws = require('../adapters/aws') as typeof import('../adapters/aws');
  const endpoint = testAwsEndpoint();
  const prefix = uniquePrefix(label);
  const clients = aws.createAwsClients({ region: 'us-east-1', endpoint });
  try {
    const tableNames = aws.tableNamesFor(prefix);
    const [messaging] = await Promise.all([
      aws.provisionMessaging({ sns: clients.sns, sqs: clients.sqs, prefix }),
      aws.provisionTables({ dynamodb: clients.dynamodb, tableNames }),
      aws.provisionBucket({ s3: clients.s3, bucket: prefix }),
    ]);
    const env = aws.awsModeEnv({
      region: 'us-east-1',
      endpoint,
      topicArn: messaging.topicArn,
      bucket: prefix,
      tableNames,
      queueUrls: messaging.queueUrls,
    });
    return { prefix, env, tableNames, queueUrls: messaging.queueUrls };
  } finally {
    clients.destroy();
  }
}

/**
 * An aws-mode environment whose topic, bucket and tables nobody provisions: for tests of
 * configuration and routes that never reach them.
 */
export const UNPROVISIONED_AWS_ENV: Readonly<Record<string, string>> = {
  JITKB_MODE: 'aws',
  AWS_REGION: 'us-east-1',
  EVENTS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:events',
  BUCKET_NAME: 'bucket',
  TABLE_PROJECTS: 'projects',
  TABLE_FILES: 'files',
  TABLE_KB_FILES: 'kb-files',
  TABLE_CHATS: 'chats',
  TABLE_CHAT_HISTORY: 'chat-history',
  TABLE_RATE_LIMITS: 'rate-limits',
  TABLE_LEASES: 'leases',
};

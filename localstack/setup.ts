/**
 * Creates everything jitkb needs on an AWS API endpoint — the events topic, each consumer's queue
 * with its dead-letter queue and filtered subscription, the tables (TTL and stream on) and the
 * bucket — and prints the environment the services need. Idempotent: run it as often as you like.
 * Works on LocalStack, moto's server and AWS itself.
 *
 *   AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://localhost:4566 npx tsx localstack/setup.ts [--prefix jitkb]
 */
import { parseArgs } from 'node:util';
import {
  awsModeEnv,
  createAwsClients,
  provisionBucket,
  provisionMessaging,
  provisionTables,
  tableNamesFor,
} from '@jitkb/shared/aws';

export interface SetupOptions {
  region: string;
  endpoint?: string | undefined;
  prefix: string;
  bucket?: string;
  corsOrigins?: string[];
}

/** Provisions all resources; returns the services' environment (variable → value). */
export async function setupAws(options: SetupOptions): Promise<Record<string, string>> {
  const clients = createAwsClients({ region: options.region, endpoint: options.endpoint });
  try {
    const tableNames = tableNamesFor(options.prefix);
    const bucket = options.bucket ?? `${options.prefix}-uploads`;
    const [messaging] = await Promise.all([
      provisionMessaging({ sns: clients.sns, sqs: clients.sqs, prefix: options.prefix }),
      provisionTables({ dynamodb: clients.dynamodb, tableNames }),
      provisionBucket({
        s3: clients.s3,
        bucket,
        ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      }),
    ]);
    return awsModeEnv({
      region: options.region,
      endpoint: options.endpoint,
      topicArn: messaging.topicArn,
      bucket,
      tableNames,
      queueUrls: messaging.queueUrls,
    });
  } finally {
    clients.destroy();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string', default: process.env.JITKB_RESOURCE_PREFIX ?? 'jitkb' },
      bucket: { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
    },
  });
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) {
    console.error('localstack/setup: AWS_REGION is required');
    process.exit(78);
  }
  const env = await setupAws({
    region,
    endpoint: process.env.AWS_ENDPOINT_URL,
    prefix: values.prefix,
    ...(values.bucket ? { bucket: values.bucket } : {}),
    ...(values['cors-origin'] ? { corsOrigins: values['cors-origin'] } : {}),
  });
  for (const [name, value] of Object.entries(env)) console.log(`${name}=${value}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`localstack/setup: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

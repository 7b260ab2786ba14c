import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClientOptions {
  region: string;
  /** Another AWS API endpoint (LocalStack, moto's server); path-style S3 then. */
  endpoint?: string | undefined;
}

export interface AwsClients {
  sns: SNSClient;
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  destroy(): void;
}

/** One client per AWS API, sharing region and endpoint; the SDK's standard retries apply. */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const base = {
    region: options.region,
    maxAttempts: 5,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const clients = {
    sns: new SNSClient(base),
    sqs: new SQSClient(base),
    dynamodb: new DynamoDBClient(base),
    s3: new S3Client({ ...base, forcePathStyle: options.endpoint !== undefined }),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

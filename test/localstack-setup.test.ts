import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { createAwsClients } from '@jitkb/shared/aws';
import { testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';
import { setupAws } from '../localstack/setup';

describe('localstack/setup', () => {
  const endpoint = testAwsEndpoint();
  const clients = createAwsClients({ region: 'us-east-1', endpoint });
  afterAll(() => clients.destroy());

  it('creates every resource and is idempotent', async () => {
    const prefix = uniquePrefix('setup');
    const first = await setupAws({ region: 'us-east-1', endpoint, prefix });
    const second = await setupAws({ region: 'us-east-1', endpoint, prefix });
    expect(second).toEqual(first);

    const topicArn = first.EVENTS_TOPIC_ARN!;
    await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    const subs = await clients.sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
    );
    // One filtered subscription per consuming service, not doubled by the second run.
    expect(subs.Subscriptions).toHaveLength(4);

    const ingestion = await clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: first.QUEUE_URL_INGESTION!,
        AttributeNames: ['RedrivePolicy'],
      }),
    );
    expect(JSON.parse(ingestion.Attributes?.RedrivePolicy ?? '{}')).toMatchObject({
      maxReceiveCount: 5,
    });

    const kbFiles = await clients.dynamodb.send(
      new DescribeTableCommand({ TableName: first.TABLE_KB_FILES! }),
    );
    expect(kbFiles.Table?.StreamSpecification?.StreamEnabled).toBe(true);
    const ttl = await clients.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: first.TABLE_KB_FILES! }),
    );
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');

    await clients.s3.send(new HeadBucketCommand({ Bucket: first.BUCKET_NAME! }));
  });
});

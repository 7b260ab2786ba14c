import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { AppError } from '../../../errors/app-error';
import type { EventType } from '../../../events/events';
import {
  CONSUMERS,
  MAX_RECEIVE_COUNT,
  SUBSCRIPTIONS,
  type ConsumerName,
} from '../../../events/subscriptions';
import { toAppError } from '../messaging-errors';

export interface ProvisionMessagingOptions {
  sns: SNSClient;
  sqs: SQSClient;
  /** Starts every name: `${prefix}-events`, `${prefix}-${consumer}`, `${prefix}-${consumer}-dlq`. */
  prefix: string;
}

export interface MessagingResources {
  topicArn: string;
  queueUrls: Record<ConsumerName, string>;
  deadLetterQueueUrls: Record<ConsumerName, string>;
}

/** Dead letters are kept for the longest time SQS allows (14 days), for someone to look at. */
const DEAD_LETTER_RETENTION_SECONDS = '1209600';

/**
 * Creates the events topic, and for each consumer its queue, dead-letter queue, queue policy and
 * filtered raw-delivery subscription, from SUBSCRIPTIONS. Idempotent: run again, it converges the
 * attributes of what exists instead of failing, so it also applies a changed filter policy. Uses
 * only calls that moto's server, LocalStack and AWS all serve.
 */
export async function provisionMessaging(
  options: ProvisionMessagingOptions,
): Promise<MessagingResources> {
  const { sns, sqs, prefix } = options;
  const topicArn = await call('SNS CreateTopic', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${prefix}-events` }));
    return required(TopicArn, 'TopicArn');
  });
  const provisioned = await Promise.all(
    CONSUMERS.map(async (consumer) => {
      const name = `${prefix}-${consumer}`;
      const dlq = await ensureQueue(sqs, `${name}-dlq`, () => ({
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
      }));
      const queue = await ensureQueue(sqs, name, (queueArn) => ({
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: MAX_RECEIVE_COUNT,
        }),
        Policy: JSON.stringify(allowTopicToSend(queueArn, topicArn)),
      }));
      await ensureSubscription(sns, topicArn, queue.arn, SUBSCRIPTIONS[consumer]);
      return { consumer, queueUrl: queue.url, deadLetterQueueUrl: dlq.url };
    }),
  );
  const byConsumer = (pick: (p: (typeof provisioned)[number]) => string) =>
    Object.fromEntries(provisioned.map((p) => [p.consumer, pick(p)])) as Record<
      ConsumerName,
      string
    >;
  return {
    topicArn,
    queueUrls: byConsumer((p) => p.queueUrl),
    deadLetterQueueUrls: byConsumer((p) => p.deadLetterQueueUrl),
  };
}

/**
 * CreateQueue without attributes returns an existing queue instead of failing on a difference;
 * the attributes are then set, which is idempotent.
 */
async function ensureQueue(
  sqs: SQSClient,
  name: string,
  attributes: (queueArn: string) => Record<string, string>,
): Promise<{ url: string; arn: string }> {
  return call(`SQS queue ${name}`, async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const url = required(QueueUrl, 'QueueUrl');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = required(Attributes?.QueueArn, 'QueueArn');
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes(arn) }));
    return { url, arn };
  });
}

/** The queue policy that lets the topic, and only the topic, deliver to the queue. */
function allowTopicToSend(queueArn: string, topicArn: string) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'events-topic-sends',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
      },
    ],
  };
}

/**
 * Subscribe fails on AWS when the subscription exists with other attributes, so an existing one
 * is found first and its attributes set one by one.
 */
async function ensureSubscription(
  sns: SNSClient,
  topicArn: string,
  queueArn: string,
  types: readonly EventType[],
): Promise<void> {
  const attributes: Record<string, string> = {
    RawMessageDelivery: 'true',
    FilterPolicyScope: 'MessageAttributes',
    FilterPolicy: JSON.stringify({ type: [...types] }),
  };
  await call(`SNS subscription of ${queueArn}`, async () => {
    const existing = await findSubscription(sns, topicArn, queueArn);
    if (!existing) {
      await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          Attributes: attributes,
          ReturnSubscriptionArn: true,
        }),
      );
      return;
    }
    for (const [AttributeName, AttributeValue] of Object.entries(attributes)) {
      await sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: existing,
          AttributeName,
          AttributeValue,
        }),
      );
    }
  });
}

async function findSubscription(
  sns: SNSClient,
  topicArn: string,
  queueArn: string,
): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
    );
    const found = page.Subscriptions?.find(
      // A subscription still pending confirmation has no ARN yet and cannot be updated.
      (s) =>
        s.Protocol === 'sqs' && s.Endpoint === queueArn && s.SubscriptionArn?.startsWith('arn:'),
    );
    if (found?.SubscriptionArn) return found.SubscriptionArn;
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}

async function call<T>(what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toAppError(error, `provisioning ${what}`);
  }
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new AppError('internal', `the AWS API answered without ${name}`);
  return value;
}

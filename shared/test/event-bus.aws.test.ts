import {
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import pino from 'pino';
import {
  provisionMessaging,
  type MessagingResources,
} from '../src/adapters/aws/provision/messaging';
import { SnsSqsEventBus } from '../src/adapters/aws/sns-sqs-event-bus';
import { describeEventBus, sampleEvent, waitFor } from '../src/contracts/event-bus.contract';
import type { ReceivedEvent } from '../src/ports/event-bus';
import { receiveThenCrash } from './fixtures/spawn-crash-consumer';
import { CONSUMERS, MAX_RECEIVE_COUNT, SUBSCRIPTIONS } from '../src/events/subscriptions';
import { testAwsEndpoint, uniquePrefix } from '../src/testing/aws';

const log = pino({ level: 'silent' });

function clients() {
  const base = {
    endpoint: testAwsEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  return { sns: new SNSClient(base), sqs: new SQSClient(base) };
}

async function removeMessaging(sns: SNSClient, sqs: SQSClient, resources: MessagingResources) {
  const urls = [
    ...Object.values(resources.queueUrls),
    ...Object.values(resources.deadLetterQueueUrls),
  ];
  await Promise.all(urls.map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))));
  await sns.send(new DeleteTopicCommand({ TopicArn: resources.topicArn }));
}

describeEventBus('SnsSqsEventBus on moto', async () => {
  const { sns, sqs } = clients();
  const resources = await provisionMessaging({ sns, sqs, prefix: uniquePrefix('bus') });
  const bus = new SnsSqsEventBus({
    sns,
    sqs,
    topicArn: resources.topicArn,
    queueUrls: resources.queueUrls,
    log,
  });
  return {
    bus,
    async sendRaw(consumer, body) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: resources.queueUrls[consumer], MessageBody: body }),
      );
    },
    async queueDepth(consumer) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: resources.queueUrls[consumer],
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible)
      );
    },
    async cleanup() {
      await bus.close();
      await removeMessaging(sns, sqs, resources);
      sns.destroy();
      sqs.destroy();
    },
  };
});

describe('provisionMessaging', () => {
  const { sns, sqs } = clients();
  afterAll(() => {
    sns.destroy();
    sqs.destroy();
  });

  it('creates the same resources when run twice, with one filtered raw subscription per consumer', async () => {
    const prefix = uniquePrefix('prov');
    const first = await provisionMessaging({ sns, sqs, prefix });
    const second = await provisionMessaging({ sns, sqs, prefix });
    expect(second).toEqual(first);
    expect(first.topicArn).toMatch(new RegExp(`:${prefix}-events$`));
    expect(first.queueUrls.janitor).toMatch(new RegExp(`/${prefix}-janitor$`));
    expect(first.deadLetterQueueUrls.janitor).toMatch(new RegExp(`/${prefix}-janitor-dlq$`));

    const { Subscriptions = [] } = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: first.topicArn }),
    );
    expect(Subscriptions).toHaveLength(CONSUMERS.length);
    for (const consumer of CONSUMERS) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: first.queueUrls[consumer],
          AttributeNames: ['QueueArn', 'RedrivePolicy', 'Policy'],
        }),
      );
      expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toMatchObject({
        maxReceiveCount: MAX_RECEIVE_COUNT,
      });
      expect(Attributes.Policy).toContain(first.topicArn);
      const subscription = Subscriptions.find((s) => s.Endpoint === Attributes.QueueArn);
      const { Attributes: sub = {} } = await sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription?.SubscriptionArn }),
      );
      expect(sub.RawMessageDelivery).toBe('true');
      expect(JSON.parse(sub.FilterPolicy ?? '{}')).toEqual({ type: [...SUBSCRIPTIONS[consumer]] });
    }
    await removeMessaging(sns, sqs, first);
  });
});

describe('SnsSqsEventBus configuration', () => {
  it('names the missing variable when a consumer has no queue URL', () => {
    const { sns, sqs } = clients();
    const bus = new SnsSqsEventBus({
      sns,
      sqs,
      topicArn: 'arn:aws:sns:us-east-1:123456789012:x',
      queueUrls: {},
      log,
    });
    try {
      expect(() => bus.consume({ consumer: 'janitor', handler: async () => {} })).toThrow(
        /QUEUE_URL_JANITOR/,
      );
    } finally {
      sns.destroy();
      sqs.destroy();
    }
  });
});

describe('SnsSqsEventBus across processes', () => {
  it('gives a message back to a new consumer after the process handling it was killed', async () => {
    const { sns, sqs } = clients();
    const resources = await provisionMessaging({ sns, sqs, prefix: uniquePrefix('crash') });
    const bus = new SnsSqsEventBus({
      sns,
      sqs,
      topicArn: resources.topicArn,
      queueUrls: resources.queueUrls,
      log,
    });
    try {
      const event = sampleEvent('file.expired');
      await bus.publish(event);
      await receiveThenCrash(event.id, {
        CRASH_FAMILY: 'aws',
        CRASH_TOPIC_ARN: resources.topicArn,
        CRASH_QUEUE_URL: resources.queueUrls.janitor,
      });

      const deliveries: ReceivedEvent[] = [];
      bus.consume({
        consumer: 'janitor',
        visibilityTimeoutSeconds: 1,
        waitTimeSeconds: 1,
        handler: async (received) => {
          deliveries.push(received);
        },
      });
      await waitFor('the redelivery', () => deliveries.length === 1);
      expect(deliveries[0]).toMatchObject({ event: { id: event.id }, receiveCount: 2 });
    } finally {
      await bus.close();
      await removeMessaging(sns, sqs, resources);
      sns.destroy();
      sqs.destroy();
    }
  });
});

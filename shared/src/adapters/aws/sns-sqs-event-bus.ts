import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { AppError } from '../../errors/app-error';
import { parseEvent, type EventEnvelope } from '../../events/events';
import type { ConsumerName } from '../../events/subscriptions';
import type { Logger } from '../../logging/logger';
import type { ServiceMetrics } from '../../metrics/metrics';
import type { ConsumeOptions, Consumption, EventBus, PublishOptions } from '../../ports/event-bus';
import { toAppError } from './messaging-errors';
import { SqsConsumption } from './sqs-consumption';

export interface SnsSqsEventBusOptions {
  sns: SNSClient;
  sqs: SQSClient;
  /** The events topic (EVENTS_TOPIC_ARN). */
  topicArn: string;
  /** The queue of each consumer this process runs (QUEUE_URL_<CONSUMER>); publishers need none. */
  queueUrls: Partial<Record<ConsumerName, string>>;
  log: Logger;
  /** Observes handler duration by event type and outcome. */
  metrics?: Pick<ServiceMetrics, 'handlerDuration'>;
}

/** The name of the variable that holds a consumer's queue URL. */
export function queueUrlVariable(consumer: ConsumerName): string {
  return `QUEUE_URL_${consumer.toUpperCase()}`;
}

/**
 * The event bus on AWS: events are published to one SNS topic with the message attributes `type`
 * and `correlationId`; each consumer reads its own SQS queue (raw delivery, filtered by `type`,
 * dead-letter queue by redrive policy) through sqs-consumer.
 */
export class SnsSqsEventBus implements EventBus {
  private readonly consumptions = new Set<SqsConsumption>();
  private readonly deadLetterUrls = new Map<ConsumerName, Promise<string>>();
  private readonly log: Logger;

  constructor(readonly options: SnsSqsEventBusOptions) {
    this.log = options.log.child({ component: 'sns-sqs-event-bus' });
  }

  async publish(event: EventEnvelope, options: PublishOptions = {}): Promise<void> {
    let valid: EventEnvelope;
    try {
      valid = parseEvent(event);
    } catch (error) {
      throw new AppError('invalid_input', 'refusing to publish an invalid event', { cause: error });
    }
    const attributes: Record<string, MessageAttributeValue> = {
      type: { DataType: 'String', StringValue: valid.type },
    };
    if (options.correlationId) {
      attributes.correlationId = { DataType: 'String', StringValue: options.correlationId };
    }
    try {
      await this.options.sns.send(
        new PublishCommand({
          TopicArn: this.options.topicArn,
          Message: JSON.stringify(valid),
          MessageAttributes: attributes,
        }),
      );
    } catch (error) {
      throw toAppError(error, 'SNS Publish');
    }
  }

  consume(options: ConsumeOptions): Consumption {
    const consumption = new SqsConsumption({
      sqs: this.options.sqs,
      queueUrl: this.queueUrl(options.consumer),
      consume: options,
      log: this.log,
      metrics: this.options.metrics,
      onStopped: (stopped) => this.consumptions.delete(stopped),
    });
    this.consumptions.add(consumption);
    return consumption;
  }

  /** Visible and in-flight messages of the consumer's dead-letter queue (from its RedrivePolicy). */
  async deadLetterDepth(consumer: ConsumerName): Promise<number> {
    const url = await this.deadLetterQueueUrl(consumer);
    try {
      const { Attributes = {} } = await this.options.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    } catch (error) {
      throw toAppError(error, 'SQS GetQueueAttributes');
    }
  }

  /** Stops every consumer, waiting for handlers in flight. The clients belong to the caller. */
  async close(): Promise<void> {
    await Promise.all([...this.consumptions].map((consumption) => consumption.stop()));
  }

  private queueUrl(consumer: ConsumerName): string {
    const url = this.options.queueUrls[consumer];
    if (!url) {
      throw new AppError(
        'internal',
        `no queue configured for the ${consumer} consumer: set ${queueUrlVariable(consumer)}`,
        { retryable: false },
      );
    }
    return url;
  }

  private deadLetterQueueUrl(consumer: ConsumerName): Promise<string> {
    let url = this.deadLetterUrls.get(consumer);
    if (!url) {
      url = this.lookUpDeadLetterQueue(this.queueUrl(consumer));
      // A failed look-up is not cached: the next call tries again.
      void url.catch(() => this.deadLetterUrls.delete(consumer));
      this.deadLetterUrls.set(consumer, url);
    }
    return url;
  }

  private async lookUpDeadLetterQueue(queueUrl: string): Promise<string> {
    let policy: string | undefined;
    try {
      const { Attributes = {} } = await this.options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
      );
      policy = Attributes.RedrivePolicy;
    } catch (error) {
      throw toAppError(error, 'SQS GetQueueAttributes');
    }
    const target = policy ? redriveTarget(policy) : undefined;
    if (!target) {
      throw new AppError('internal', `the queue ${queueUrl} has no dead-letter queue`);
    }
    // arn:aws:sqs:region:account:name
    const [, , , , account, name] = target.split(':');
    try {
      const { QueueUrl } = await this.options.sqs.send(
        new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      if (!QueueUrl) throw new AppError('internal', `no URL for the queue ${target}`);
      return QueueUrl;
    } catch (error) {
      throw toAppError(error, 'SQS GetQueueUrl');
    }
  }
}

function redriveTarget(policy: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(policy);
    if (typeof parsed === 'object' && parsed !== null && 'deadLetterTargetArn' in parsed) {
      const arn = parsed.deadLetterTargetArn;
      return typeof arn === 'string' ? arn : undefined;
    }
  } catch {
    // A malformed policy counts as none: the caller reports the missing dead-letter queue.
  }
  return undefined;
}

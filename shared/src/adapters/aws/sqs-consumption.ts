import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import type { Logger } from '../../logging/logger';
import type { ServiceMetrics } from '../../metrics/metrics';
import type { ConsumeOptions, Consumption } from '../../ports/event-bus';
import { checkConsumeOptions, deliver, type DeliveryOutcome } from '../event-delivery';
import { toAppError } from './messaging-errors';

export interface SqsConsumptionOptions {
  sqs: SQSClient;
  queueUrl: string;
  consume: ConsumeOptions;
  log: Logger;
  metrics?: Pick<ServiceMetrics, 'handlerDuration'> | undefined;
  onStopped(consumption: SqsConsumption): void;
}

/** SQS refuses a visibility timeout beyond 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * One consumer on its SQS queue. sqs-consumer does the polling and runs up to `batchSize`
 * messages at once; this class runs the handler with a heartbeat and settles each message
 * itself (`shouldDeleteMessages: false`), so that stop() can abort the long poll without
 * aborting an acknowledgement, and knows when the last one has been made.
 */
export class SqsConsumption implements Consumption {
  private readonly consumer: Consumer;
  private readonly log: Logger;
  private readonly visibilitySeconds: number;
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: SqsConsumptionOptions) {
    const checked = checkConsumeOptions(options.consume);
    this.visibilitySeconds = checked.visibilityTimeoutSeconds;
    this.log = options.log.child({ consumer: options.consume.consumer });
    this.consumer = Consumer.create({
      queueUrl: options.queueUrl,
      sqs: options.sqs,
      batchSize: checked.batchSize,
      visibilityTimeout: checked.visibilityTimeoutSeconds,
      waitTimeSeconds: options.consume.waitTimeSeconds ?? 20,
      messageAttributeNames: ['type', 'correlationId'],
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      shouldDeleteMessages: false,
      handleMessage: (message) => this.track(message),
    });
    this.consumer.on('error', (error) => {
      // Stopping aborts the long poll on purpose.
      if (this.stopping) this.log.debug({ err: error }, 'SQS consumer error while stopping');
      else this.log.error({ err: error }, 'SQS receive failed; polling again');
    });
    this.consumer.start();
  }

  get running(): boolean {
    return !this.stopping;
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.consumer.stop({ abort: true });
      // isPolling stays true until the last batch received has been handed to the handlers.
      while (this.consumer.status.isPolling) await sleep(20);
      await Promise.all(this.inFlight);
      this.options.onStopped(this);
    })();
    return this.stopped;
  }

  private track(message: Message): Promise<Message | undefined> {
    const handling = this.handle(message);
    this.inFlight.add(handling);
    return handling.finally(() => this.inFlight.delete(handling));
  }

  private async handle(message: Message): Promise<Message | undefined> {
    if (this.stopping) {
      // Received as the consumer stopped: hand it straight back to the next receiver.
      await this.changeVisibility(message, 0);
      return undefined;
    }
    const stopHeartbeat = this.startHeartbeat(message);
    let outcome: DeliveryOutcome;
    try {
      outcome = await deliver({
        consumer: this.options.consume.consumer,
        body: message.Body ?? '',
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
        correlationId: message.MessageAttributes?.correlationId?.StringValue,
        messageId: message.MessageId ?? 'unknown',
        handler: this.options.consume.handler,
        log: this.log,
        metrics: this.options.metrics,
      });
    } finally {
      await stopHeartbeat();
    }
    return this.settle(message, outcome);
  }

  /** Extends the visibility every half timeout; the returned function stops it and waits. */
  private startHeartbeat(message: Message): () => Promise<void> {
    let pending: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      pending = pending.then(() => this.changeVisibility(message, this.visibilitySeconds));
    }, this.visibilitySeconds * 500);
    return async () => {
      clearInterval(timer);
      await pending;
    };
  }

  private async settle(message: Message, outcome: DeliveryOutcome): Promise<Message | undefined> {
    switch (outcome.kind) {
      case 'ack':
      case 'drop':
        return (await this.delete(message)) ? message : undefined;
      case 'defer':
        await this.changeVisibility(
          message,
          Math.min(outcome.delaySeconds, MAX_VISIBILITY_SECONDS),
        );
        return undefined;
      case 'retry':
        // Left invisible: it comes back when the visibility timeout ends, and the queue's
        // redrive policy dead-letters it after MAX_RECEIVE_COUNT receives.
        return undefined;
    }
  }

  private async delete(message: Message): Promise<boolean> {
    try {
      await this.options.sqs.send(
        new DeleteMessageCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
        }),
      );
      return true;
    } catch (error) {
      const wrapped = toAppError(error, 'SQS DeleteMessage');
      this.log.error(
        { err: wrapped, messageId: message.MessageId },
        'could not acknowledge a message; it will be handled again',
      );
      return false;
    }
  }

  private async changeVisibility(message: Message, seconds: number): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    } catch (error) {
      const wrapped = toAppError(error, 'SQS ChangeMessageVisibility');
      this.log.warn(
        { err: wrapped, messageId: message.MessageId, seconds },
        'could not change the visibility of a message',
      );
    }
  }
}

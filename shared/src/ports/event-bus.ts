import type { EventEnvelope, EventType } from '../events/events';
import type { ConsumerName } from '../events/subscriptions';

/** One delivery of an event to a consumer. */
export interface ReceivedEvent {
  event: EventEnvelope;
  /** How many times this message has been received, this delivery included. */
  receiveCount: number;
  correlationId: string | undefined;
}

export interface PublishOptions {
  correlationId?: string;
}

export interface ConsumeOptions {
  consumer: ConsumerName;
  /**
   * Handles one event. Returning acknowledges (deletes) the message. Throwing leaves it on the
   * queue to come back after the visibility timeout; after MAX_RECEIVE_COUNT receives it moves to
   * the dead-letter queue. A `DeferMessageError` puts it back after its `delaySeconds` instead.
   * A body that is not a valid event is logged and acknowledged: it would never succeed.
   */
  handler: (received: ReceivedEvent) => Promise<void>;
  /** Seconds a received message stays invisible to other receivers (default 30). */
  visibilityTimeoutSeconds?: number;
  /** Messages handled at once (default 5). */
  batchSize?: number;
  /** Seconds between polls of an empty queue (embedded) or long-poll wait (SQS). */
  waitTimeSeconds?: number;
}

/** A running consumer. */
export interface Consumption {
  /** Stops receiving, waits for handlers in flight, resolves when drained. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** The event bus: SNS topic and SQS queues, or the embedded durable queue. */
export interface EventBus {
  /** Publishes to every consumer subscribed to the event's type. */
  publish(event: EventEnvelope, options?: PublishOptions): Promise<void>;
  consume(options: ConsumeOptions): Consumption;
  /** Messages waiting in a consumer's dead-letter queue. */
  deadLetterDepth(consumer: ConsumerName): Promise<number>;
  close?(): Promise<void>;
}

export type { EventType };

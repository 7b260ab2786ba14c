import { watch, type FSWatcher } from 'node:fs';
import { AppError } from '../../errors/app-error';
import { parseEvent, type EventEnvelope } from '../../events/events';
import { CONSUMERS, SUBSCRIPTIONS, type ConsumerName } from '../../events/subscriptions';
import type { Logger } from '../../logging/logger';
import type { ServiceMetrics } from '../../metrics/metrics';
import type { ConsumeOptions, Consumption, EventBus, PublishOptions } from '../../ports/event-bus';
import { SqliteConsumption } from './sqlite-consumption';
import { SqliteQueueStore } from './sqlite-queue-store';

export interface SqliteEventBusOptions {
  /** The SQLite file that holds every queue; all processes of one installation share it. */
  path: string;
  log: Logger;
  /**
   * Milliseconds between polls of an empty queue when a consumer does not set `waitTimeSeconds`
   * (default 500). Publishers in the same process wake their consumers at once, and so do writes
   * from other processes wherever the file's write-ahead log can be watched: the poll is then
   * only the fallback.
   */
  pollIntervalMs?: number;
  /** Observes handler duration by event type and outcome. */
  metrics?: Pick<ServiceMetrics, 'handlerDuration'>;
}

/**
 * The embedded event bus: a durable queue per consumer in one SQLite file, with the semantics of
 * the SNS topic and SQS queues it stands in for (fan-out by `type` from SUBSCRIPTIONS, visibility
 * timeout, receive count, dead letter after MAX_RECEIVE_COUNT receives). Service processes that
 * share the file share the queues, so a consumer that starts later still gets its messages.
 */
export class SqliteEventBus implements EventBus {
  private readonly store: SqliteQueueStore;
  private readonly consumptions = new Set<SqliteConsumption>();
  private readonly log: Logger;
  private watcher: FSWatcher | undefined;

  constructor(readonly options: SqliteEventBusOptions) {
    this.store = new SqliteQueueStore(options.path);
    this.log = options.log.child({ component: 'sqlite-event-bus' });
  }

  async publish(event: EventEnvelope, options: PublishOptions = {}): Promise<void> {
    let valid: EventEnvelope;
    try {
      valid = parseEvent(event);
    } catch (error) {
      throw new AppError('invalid_input', 'refusing to publish an invalid event', { cause: error });
    }
    const consumers = CONSUMERS.filter((consumer) => SUBSCRIPTIONS[consumer].includes(valid.type));
    this.write(() => this.store.enqueue(consumers, JSON.stringify(valid), options.correlationId));
    this.wake(consumers);
  }

  /**
   * Puts a body as it is on one consumer's queue, as SQS SendMessage would: no validation, no
   * fan-out. For tests and for replaying a message by hand.
   */
  async sendRaw(consumer: ConsumerName, body: string, correlationId?: string): Promise<void> {
    this.write(() => this.store.enqueue([consumer], body, correlationId));
    this.wake([consumer]);
  }

  consume(options: ConsumeOptions): Consumption {
    const consumption = new SqliteConsumption({
      store: this.store,
      consume: options,
      log: this.log,
      pollIntervalMs: this.options.pollIntervalMs ?? 500,
      metrics: this.options.metrics,
      onStopped: (stopped) => this.consumptions.delete(stopped),
    });
    this.consumptions.add(consumption);
    this.watchOtherWriters();
    return consumption;
  }

  async deadLetterDepth(consumer: ConsumerName): Promise<number> {
    return this.store.deadLetterDepth(consumer);
  }

  /** Messages on a consumer's queue, visible or in flight. */
  async queueDepth(consumer: ConsumerName): Promise<number> {
    return this.store.depth(consumer);
  }

  /** Stops every consumer (waiting for handlers in flight), then closes the file. */
  async close(): Promise<void> {
    await Promise.all([...this.consumptions].map((consumption) => consumption.stop()));
    this.watcher?.close();
    this.watcher = undefined;
    this.store.close();
  }

  private write(operation: () => void): void {
    try {
      operation();
    } catch (error) {
      // SQLITE_BUSY after busy_timeout: another process held the write lock too long.
      const busy = error instanceof Error && 'code' in error && error.code === 'SQLITE_BUSY';
      throw new AppError(
        busy ? 'unavailable' : 'internal',
        'could not write to the embedded event queue',
        { cause: error, retryable: busy },
      );
    }
  }

  /**
   * Another process's publish reaches a consumer here only on its next poll; with five service
   * processes on one file that is a wait of up to a poll interval at every hop of a request.
   * Every commit that changes the queues appends to the write-ahead log, and a claim or read that
   * changes nothing leaves it untouched, so a watch on the log wakes the consumers exactly when
   * there may be something new, without polling faster. Where the log cannot be watched (a
   * database in memory, a platform or file system without change notification), the poll stays.
   */
  private watchOtherWriters(): void {
    if (this.watcher || this.options.path === ':memory:') return;
    try {
      this.watcher = watch(`${this.options.path}-wal`, { persistent: false }, () =>
        this.wake(CONSUMERS),
      );
    } catch (error) {
      this.log.warn({ err: error }, 'cannot watch the queue file: consumers poll for messages');
      return;
    }
    this.watcher.on('error', (error) => {
      this.log.warn(
        { err: error },
        'lost the watch on the queue file: consumers poll for messages',
      );
      this.watcher?.close();
      this.watcher = undefined;
    });
  }

  private wake(consumers: readonly ConsumerName[]): void {
    for (const consumption of this.consumptions) {
      if (consumers.includes(consumption.consumer)) consumption.wake();
    }
  }
}

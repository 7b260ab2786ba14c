import type { Logger } from '../../logging/logger';
import type { ServiceMetrics } from '../../metrics/metrics';
import type { ConsumeOptions, Consumption } from '../../ports/event-bus';
import {
  checkConsumeOptions,
  deliver,
  describeError,
  type DeliveryOutcome,
} from '../event-delivery';
import type { SqliteQueueStore, StoredMessage } from './sqlite-queue-store';

export interface SqliteConsumptionOptions {
  store: SqliteQueueStore;
  consume: ConsumeOptions;
  log: Logger;
  /** Milliseconds between polls of a queue with nothing visible. */
  pollIntervalMs: number;
  metrics?: Pick<ServiceMetrics, 'handlerDuration'> | undefined;
  onStopped(consumption: SqliteConsumption): void;
}

/** Shortest sleep of the poll loop, so that clock edges never make it spin. */
const MIN_SLEEP_MS = 10;

/**
 * One consumer's poll loop on the embedded queue: keeps up to `batchSize` handlers running,
 * extends the visibility of each message while its handler runs, and settles it afterwards.
 */
export class SqliteConsumption implements Consumption {
  private readonly log: Logger;
  private readonly visibilityMs: number;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop: Promise<void>;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: SqliteConsumptionOptions) {
    const checked = checkConsumeOptions(options.consume);
    this.visibilityMs = checked.visibilityTimeoutSeconds * 1000;
    this.batchSize = checked.batchSize;
    const wait = options.consume.waitTimeSeconds;
    this.pollMs = wait === undefined ? options.pollIntervalMs : Math.max(wait * 1000, MIN_SLEEP_MS);
    this.log = options.log.child({ consumer: options.consume.consumer });
    this.loop = this.run();
  }

  get consumer(): ConsumeOptions['consumer'] {
    return this.options.consume.consumer;
  }

  get running(): boolean {
    return !this.stopping;
  }

  /** Cuts the current sleep short: a message was published, or a handler slot came free. */
  wake(): void {
    this.wakeUp?.();
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.wake();
      await this.loop;
      await Promise.all(this.inFlight);
      this.options.onStopped(this);
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.batchSize - this.inFlight.size;
      const claimed = free > 0 ? this.claim(free) : [];
      for (const message of claimed) this.track(message);
      if (claimed.length === 0 || this.inFlight.size >= this.batchSize) {
        await this.sleep(free > 0 && claimed.length === 0 ? this.idleSleepMs() : this.pollMs);
      }
    }
  }

  private claim(limit: number): StoredMessage[] {
    try {
      return this.options.store.claim(this.consumer, limit, this.visibilityMs);
    } catch (error) {
      // A busy or broken database: the next poll tries again.
      this.log.error({ err: error }, 'could not receive from the embedded queue');
      return [];
    }
  }

  /** Sleeps until the next message becomes visible, or one poll interval at most. */
  private idleSleepMs(): number {
    try {
      const next = this.options.store.nextVisibleAt(this.consumer);
      if (next === undefined) return this.pollMs;
      return Math.min(this.pollMs, Math.max(next - Date.now(), MIN_SLEEP_MS));
    } catch (error) {
      this.log.error({ err: error }, 'could not read the embedded queue');
      return this.pollMs;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private track(message: StoredMessage): void {
    const handling = this.handle(message).finally(() => {
      this.inFlight.delete(handling);
      this.wake();
    });
    this.inFlight.add(handling);
  }

  private async handle(message: StoredMessage): Promise<void> {
    const heartbeat = setInterval(() => this.extend(message), this.visibilityMs / 2);
    try {
      const outcome = await deliver({
        consumer: this.consumer,
        body: message.body,
        receiveCount: message.receiveCount,
        correlationId: message.correlationId,
        messageId: String(message.seq),
        handler: this.options.consume.handler,
        log: this.log,
        metrics: this.options.metrics,
      });
      clearInterval(heartbeat);
      this.settle(message, outcome);
    } catch (error) {
      // Only the store can throw here; the message comes back after its visibility timeout.
      this.log.error({ err: error, messageId: message.seq }, 'could not settle a message');
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Keeps a message hidden while its handler is still running. */
  private extend(message: StoredMessage): void {
    try {
      if (!this.options.store.changeVisibility(message, this.visibilityMs)) {
        this.log.warn({ messageId: message.seq }, 'lost a message to another receiver');
      }
    } catch (error) {
      this.log.warn({ err: error, messageId: message.seq }, 'could not extend visibility');
    }
  }

  private settle(message: StoredMessage, outcome: DeliveryOutcome): void {
    const { store } = this.options;
    switch (outcome.kind) {
      case 'ack':
      case 'drop':
        if (!store.remove(message)) {
          this.log.warn(
            { messageId: message.seq },
            'the visibility timeout lapsed before the handler finished: the message will be handled again',
          );
        }
        return;
      case 'defer':
        store.changeVisibility(message, outcome.delaySeconds * 1000);
        return;
      case 'retry':
        store.recordError(message, describeError(outcome.error));
        return;
    }
  }
}

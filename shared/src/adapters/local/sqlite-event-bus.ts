import type { Logger } from '../../logging/logger';
import type { ConsumerName } from '../../events/subscriptions';
import type { ConsumeOptions, Consumption, EventBus } from '../../ports/event-bus';
import type { EventEnvelope } from '../../events/events';

export interface SqliteEventBusOptions {
  path: string;
  log: Logger;
}

// PLACEHOLDER: replaced by the real implementation.
export class SqliteEventBus implements EventBus {
  constructor(readonly options: SqliteEventBusOptions) {}
  async publish(_event: EventEnvelope): Promise<void> {
    throw new Error('not implemented');
  }
  consume(_options: ConsumeOptions): Consumption {
    throw new Error('not implemented');
  }
  async deadLetterDepth(_consumer: ConsumerName): Promise<number> {
    throw new Error('not implemented');
  }
  async close(): Promise<void> {}
}

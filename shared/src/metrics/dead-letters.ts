import { Gauge } from 'prom-client';
import type { ConsumerName } from '../events/subscriptions';
import type { Logger } from '../logging/logger';
import type { EventBus } from '../ports/event-bus';
import type { ServiceMetrics } from './metrics';

export const DEAD_LETTER_GAUGE = 'jitkb_dead_letter_messages';

/**
 * Exposes the depth of a consumer's dead-letter queue on the service's /metrics, read from the bus
 * at each scrape. A failed read is logged and leaves the gauge out of that scrape rather than
 * failing it.
 */
export function watchDeadLetters(
  metrics: Pick<ServiceMetrics, 'registry'>,
  bus: Pick<EventBus, 'deadLetterDepth'>,
  consumer: ConsumerName,
  log: Logger,
): void {
  new Gauge({
    name: DEAD_LETTER_GAUGE,
    help: "Messages in the consumer's dead-letter queue",
    labelNames: ['consumer'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        this.set({ consumer }, await bus.deadLetterDepth(consumer));
      } catch (error) {
        log.warn({ err: error, consumer }, 'dead-letter depth could not be read');
      }
    },
  });
}

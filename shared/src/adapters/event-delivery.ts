import { AppError, DeferMessageError, isAppError } from '../errors/app-error';
import { parseEvent, type EventEnvelope } from '../events/events';
import type { ConsumerName } from '../events/subscriptions';
import type { Logger } from '../logging/logger';
import type { ServiceMetrics } from '../metrics/metrics';
import type { ConsumeOptions } from '../ports/event-bus';

/** What the adapter does with a message once its handler has run. */
export type DeliveryOutcome =
  | { kind: 'ack' }
  /** The message can never succeed (malformed body or an `invalid_input` error): acknowledge it. */
  | { kind: 'drop' }
  | { kind: 'defer'; delaySeconds: number }
  /** Leave it invisible; it comes back after the visibility timeout and is dead-lettered in time. */
  | { kind: 'retry'; error: unknown };

export interface DeliveryInput {
  consumer: ConsumerName;
  body: string;
  receiveCount: number;
  correlationId: string | undefined;
  messageId: string;
  handler: ConsumeOptions['handler'];
  log: Logger;
  metrics?: Pick<ServiceMetrics, 'handlerDuration'> | undefined;
}

/** Parses a queue body into an event; undefined when it is not one. */
function parseBody(body: string): EventEnvelope | { error: unknown } {
  try {
    return parseEvent(JSON.parse(body));
  } catch (error) {
    return { error };
  }
}

/**
 * Runs a consumer's handler on one received message and decides its fate. Shared by both bus
 * families so that they treat handler results identically; this is also the one place that logs a
 * handler failure.
 */
export async function deliver(input: DeliveryInput): Promise<DeliveryOutcome> {
  const base = {
    consumer: input.consumer,
    messageId: input.messageId,
    receiveCount: input.receiveCount,
    correlationId: input.correlationId,
  };
  const parsed = parseBody(input.body);
  if ('error' in parsed) {
    input.log.warn({ ...base, err: parsed.error }, 'dropping a message that is not a valid event');
    return { kind: 'drop' };
  }
  const log = input.log.child({ ...base, eventId: parsed.id, eventType: parsed.type });
  const started = process.hrtime.bigint();
  const outcome = await runHandler(input, parsed, log);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  input.metrics?.handlerDuration.observe({ event: parsed.type, outcome: outcome.kind }, seconds);
  return outcome;
}

async function runHandler(
  input: DeliveryInput,
  event: EventEnvelope,
  log: Logger,
): Promise<DeliveryOutcome> {
  try {
    await input.handler({
      event,
      receiveCount: input.receiveCount,
      correlationId: input.correlationId,
    });
    log.debug('event handled');
    return { kind: 'ack' };
  } catch (error) {
    if (error instanceof DeferMessageError) {
      const delaySeconds = Math.max(0, Math.ceil(error.delaySeconds));
      log.info({ delaySeconds, reason: error.message }, 'event deferred');
      return { kind: 'defer', delaySeconds };
    }
    // An invalid input fails the same way every time: retrying only delays the dead letter.
    if (isAppError(error) && error.code === 'invalid_input' && !error.retryable) {
      log.warn({ err: error }, 'dropping an event its handler rejected as invalid');
      return { kind: 'drop' };
    }
    log.error({ err: error }, 'event handler failed; the message will come back');
    return { kind: 'retry', error };
  }
}

/** A short description of a handler error, kept with a message for whoever reads the DLQ. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2000);
}

/** Checks the consume options shared by both families; bad values are programming errors. */
export function checkConsumeOptions(options: ConsumeOptions): {
  visibilityTimeoutSeconds: number;
  batchSize: number;
} {
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  const batchSize = options.batchSize ?? 5;
  if (!Number.isInteger(visibilityTimeoutSeconds) || visibilityTimeoutSeconds < 1) {
    throw AppError.invalid(
      'visibilityTimeoutSeconds must be a whole number of seconds, at least 1',
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw AppError.invalid('batchSize must be a whole number from 1 to 10');
  }
  return { visibilityTimeoutSeconds, batchSize };
}

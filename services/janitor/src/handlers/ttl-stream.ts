import { createEvent, type EventOf } from '@jitkb/shared';
import { z } from 'zod';

/**
 * The TTL path on AWS: DynamoDB deletes an expired kb-files record and streams a REMOVE record
 * whose `userIdentity` is the DynamoDB service; every other REMOVE (the sweeper's, a user's
 * deletion, the ingestion worker's clean-up) carries no such identity.
 *
 * How those records reach jitkb: an EventBridge Pipe (k8s/aws/ttl-expiry-pipe.yaml) reads the
 * stream, filters with TTL_DELETION_FILTER_PATTERN, and sends the `file.expired` envelope that
 * its input template builds straight to the janitor's SQS queue. Not to the SNS topic: every
 * subscription filters on the `type` message attribute, which a Pipe cannot set, so a message
 * published by a Pipe would reach no queue. Not to an HTTP route on the janitor either: the queue
 * gives the Pipe's deliveries the same retries and dead-letter queue as every other event, and
 * needs no credentials for an API destination. The janitor is the only consumer of `file.expired`.
 *
 * `ttlExpiryEvents` is the same filter and transformation in code: the tested statement of what
 * the Pipe does (test/ttl-stream.test.ts checks the template against it), and what a Lambda
 * function on the stream would run instead of the Pipe.
 */

/** The Pipe's filter: REMOVE records made by DynamoDB's TTL process. */
export const TTL_DELETION_FILTER_PATTERN = {
  eventName: ['REMOVE'],
  userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
} as const;

const stringAttribute = z.object({ S: z.string().min(1) });

/** The parts of a stream record that a `file.expired` event is made of (DynamoDB JSON). */
const kbFileRemoval = z.object({
  eventID: z.string().min(1),
  dynamodb: z.object({
    Keys: z.object({ fileId: stringAttribute }),
    OldImage: z.object({ tenantId: stringAttribute, projectId: stringAttribute }),
    /** Epoch seconds in Lambda and Pipe events; a Date from the SDK's GetRecords. */
    ApproximateCreationDateTime: z.union([z.number(), z.date()]).optional(),
  }),
});

export interface TtlStreamBatch {
  /** One `file.expired` event per TTL deletion, in stream order. */
  events: EventOf<'file.expired'>[];
  /** Records that are not TTL deletions: inserts, updates, and every other delete. */
  ignored: number;
  /** TTL deletions that lack what an event needs (eventID, or "unknown" when it has none). */
  malformed: string[];
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function matches(allowed: readonly string[], value: unknown): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

/** Whether a stream record is a deletion made by DynamoDB's TTL process. */
export function isTtlDeletion(record: unknown): boolean {
  const identity = field(record, 'userIdentity');
  const { eventName, userIdentity } = TTL_DELETION_FILTER_PATTERN;
  return (
    matches(eventName, field(record, 'eventName')) &&
    matches(userIdentity.type, field(identity, 'type')) &&
    matches(userIdentity.principalId, field(identity, 'principalId'))
  );
}

function occurredAt(value: number | Date | undefined, now: () => Date): Date {
  if (value instanceof Date) return value;
  return value === undefined ? now() : new Date(value * 1000);
}

/**
 * Turns DynamoDB Streams records of the kb-files table (as Lambda and EventBridge Pipes deliver
 * them, or as GetRecords returns them) into `file.expired` events: one per TTL deletion, with the
 * tenant and project of the old image and the stream record's eventID as the event id (so a
 * redelivered record is the same event). Pure: publishing is the caller's.
 */
export function ttlExpiryEvents(
  records: readonly unknown[],
  options: { now?: () => Date } = {},
): TtlStreamBatch {
  const now = options.now ?? (() => new Date());
  const batch: TtlStreamBatch = { events: [], ignored: 0, malformed: [] };
  for (const record of records) {
    if (!isTtlDeletion(record)) {
      batch.ignored += 1;
      continue;
    }
    const event = toEvent(record, now);
    if (event) batch.events.push(event);
    else {
      const eventId = field(record, 'eventID');
      batch.malformed.push(typeof eventId === 'string' ? eventId : 'unknown');
    }
  }
  return batch;
}

/** The event of one TTL deletion, or undefined when the record cannot make a valid one. */
function toEvent(record: unknown, now: () => Date): EventOf<'file.expired'> | undefined {
  const parsed = kbFileRemoval.safeParse(record);
  if (!parsed.success) return undefined;
  const { eventID, dynamodb } = parsed.data;
  try {
    return createEvent(
      'file.expired',
      dynamodb.OldImage.tenantId.S,
      { projectId: dynamodb.OldImage.projectId.S, fileId: dynamodb.Keys.fileId.S },
      { id: eventID, occurredAt: occurredAt(dynamodb.ApproximateCreationDateTime, now) },
    );
  } catch (error) {
    // An id longer than the envelope allows, say: the record is reported as malformed.
    if (error instanceof z.ZodError) return undefined;
    throw error;
  }
}

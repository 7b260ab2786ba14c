import { randomUUID } from 'node:crypto';
import { z } from 'zod';

const id = z.string().min(1).max(128);

export const filesIngestRequested = z.object({
  projectId: id,
  chatId: id.optional(),
  userId: id,
  tier: z.string().min(1),
  fileIds: z.array(id).min(1).max(1000),
});
export type FilesIngestRequested = z.infer<typeof filesIngestRequested>;

export const fileIngested = z.object({
  projectId: id,
  fileId: id,
  chunks: z.number().int().nonnegative(),
  expiresAt: z.iso.datetime(),
});
export type FileIngested = z.infer<typeof fileIngested>;

export const fileIngestFailed = z.object({
  projectId: id,
  fileId: id,
  reason: z.string().min(1).max(2000),
});
export type FileIngestFailed = z.infer<typeof fileIngestFailed>;

export const fileExpired = z.object({ projectId: id, fileId: id });
export type FileExpired = z.infer<typeof fileExpired>;

export const projectDeleted = z.object({ projectId: id });
export type ProjectDeleted = z.infer<typeof projectDeleted>;

/** The payload schema of each event type. */
export const EVENT_DATA = {
  'files.ingest-requested': filesIngestRequested,
  'file.ingested': fileIngested,
  'file.ingest-failed': fileIngestFailed,
  'file.expired': fileExpired,
  'project.deleted': projectDeleted,
} as const;

export type EventType = keyof typeof EVENT_DATA;
export const EVENT_TYPES = Object.keys(EVENT_DATA) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;

const envelopeBase = {
  id,
  version: z.literal(1),
  occurredAt: z.iso.datetime(),
  tenantId: id,
};

/** The envelope every event travels in, discriminated by `type`. */
export const eventEnvelope = z.discriminatedUnion('type', [
  z.object({
    ...envelopeBase,
    type: z.literal('files.ingest-requested'),
    data: filesIngestRequested,
  }),
  z.object({ ...envelopeBase, type: z.literal('file.ingested'), data: fileIngested }),
  z.object({ ...envelopeBase, type: z.literal('file.ingest-failed'), data: fileIngestFailed }),
  z.object({ ...envelopeBase, type: z.literal('file.expired'), data: fileExpired }),
  z.object({ ...envelopeBase, type: z.literal('project.deleted'), data: projectDeleted }),
]);
export type EventEnvelope = z.infer<typeof eventEnvelope>;
export type EventOf<T extends EventType> = Extract<EventEnvelope, { type: T }>;

/** Builds a valid envelope (validated, so a bad payload fails where it is made). */
export function createEvent<T extends EventType>(
  type: T,
  tenantId: string,
  data: EventData<T>,
  options: { id?: string; occurredAt?: Date } = {},
): EventOf<T> {
  return eventEnvelope.parse({
    id: options.id ?? randomUUID(),
    type,
    version: 1,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    tenantId,
    data,
  }) as EventOf<T>;
}

/** Parses an incoming message body; throws a ZodError on anything that is not a valid event. */
export function parseEvent(body: unknown): EventEnvelope {
  return eventEnvelope.parse(body);
}

import {
  AppError,
  createEvent,
  isAppError,
  type EventBus,
  type FileRecord,
  type FileRef,
  type FilesRepository,
  type KbFilesRepository,
  type KnowledgeBase,
  type Logger,
  type ObjectStore,
} from '@jitkb/shared';
import { chunkText, type ChunkOptions } from './chunk';
import { EXTRACTION_FAILED, extractText, type ExtractOptions } from './extract';
import type { FailureReason, IngestionMetrics } from './ingestion-metrics';

export interface IngestFileDeps {
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  objects: ObjectStore;
  knowledgeBase: KnowledgeBase;
  bus: EventBus;
  metrics: IngestionMetrics;
  chunking: ChunkOptions;
  extraction?: ExtractOptions;
  now?: () => Date;
}

/** One file this worker has claimed. */
export interface IngestJob {
  file: FileRecord;
  /** The user whose chat asked for the file; stored with its chunks. */
  userId: string;
  tier: string;
  ttlSeconds: number;
  correlationId: string | undefined;
  log: Logger;
}

export type IngestResult =
  | { outcome: 'ready'; chunks: number; expiresAt: string }
  | { outcome: 'failed'; reason: string }
  /** The file was deleted while it was being ingested; nothing of it is left behind. */
  | { outcome: 'gone' };

interface PermanentFailure {
  reason: string;
  metric: FailureReason;
}

const MAX_REASON_LENGTH = 2000;

/**
 * Ingests one claimed file: object → text → chunks → knowledge base (replacing earlier chunks of
 * the file) → kb-files record with its TTL → `file.ingested` → status `ready`. A file that can
 * never be ingested (damaged, encrypted, no text, object missing) ends `failed` with a reason and
 * a `file.ingest-failed` event. Any other error is thrown, so the message comes back.
 *
 * The event is published before the final status write: if the write or the publish fails, the
 * file is still `ingesting` under this message's claim, so the redelivery takes it over and
 * publishes again (consumers are idempotent) rather than finding it done and staying silent.
 */
export function createIngestFile(deps: IngestFileDeps) {
  const clock = deps.now ?? (() => new Date());

  async function toKnowledgeBase(job: IngestJob, text: string): Promise<number> {
    const { file } = job;
    const chunks = chunkText(text, deps.chunking);
    const end = deps.metrics.knowledgeBaseCalls.startTimer({ operation: 'ingest' });
    try {
      const result = await deps.knowledgeBase.ingest({
        metadata: {
          tenantId: file.tenantId,
          projectId: file.projectId,
          userId: job.userId,
          fileId: file.fileId,
          fileName: file.name,
        },
        chunks,
        objectKey: file.objectKey,
        contentType: file.contentType,
      });
      end({ outcome: 'ok' });
      return result.chunks;
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  }

  async function succeed(job: IngestJob, chunks: number): Promise<IngestResult> {
    const { file } = job;
    const ref = refOf(file);
    const ttl = Math.floor(clock().getTime() / 1000) + job.ttlSeconds;
    const expiresAt = new Date(ttl * 1000).toISOString();
    await deps.kbFiles.put({
      fileId: file.fileId,
      tenantId: file.tenantId,
      projectId: file.projectId,
      userId: job.userId,
      chunks,
      ttl,
    });
    if (!(await deps.files.get(ref))) return removeLeftovers(job);
    const event = createEvent('file.ingested', file.tenantId, {
      projectId: file.projectId,
      fileId: file.fileId,
      chunks,
      expiresAt,
    });
    await deps.bus.publish(event, publishOptions(job));
    await deps.files.markReady(ref, expiresAt);
    deps.metrics.filesIngested.inc({ tier: job.tier });
    deps.metrics.chunks.inc({ tier: job.tier }, chunks);
    job.log.info({ fileId: file.fileId, chunks, expiresAt }, 'file ingested');
    return { outcome: 'ready', chunks, expiresAt };
  }

  /** A file deleted mid-way: its chunks and record would otherwise outlive it. */
  async function removeLeftovers(job: IngestJob): Promise<IngestResult> {
    const { fileId } = job.file;
    await deps.knowledgeBase.delete([fileId]);
    // "Expired by the end of time": the repository's one delete, made unconditional.
    await deps.kbFiles.deleteIfExpired(fileId, Number.MAX_SAFE_INTEGER);
    job.log.info({ fileId }, 'file deleted during ingestion; its chunks were removed');
    return { outcome: 'gone' };
  }

  async function fail(job: IngestJob, failure: PermanentFailure): Promise<IngestResult> {
    const { file } = job;
    const ref = refOf(file);
    if (!(await deps.files.get(ref))) return { outcome: 'gone' };
    const reason = failure.reason.slice(0, MAX_REASON_LENGTH);
    const event = createEvent('file.ingest-failed', file.tenantId, {
      projectId: file.projectId,
      fileId: file.fileId,
      reason,
    });
    await deps.bus.publish(event, publishOptions(job));
    await deps.files.markFailed(ref, reason);
    deps.metrics.failures.inc({ reason: failure.metric });
    job.log.warn({ fileId: file.fileId, reason, failure: failure.metric }, 'file ingestion failed');
    return { outcome: 'failed', reason };
  }

  async function run(job: IngestJob): Promise<IngestResult> {
    const { file } = job;
    let chunks: number;
    try {
      const body = await readObject(deps.objects, file.objectKey);
      const { text } = await extractText(
        { body, contentType: file.contentType, fileName: file.name },
        deps.extraction,
      );
      chunks = await toKnowledgeBase(job, text);
    } catch (error) {
      const failure = permanentFailure(error);
      if (!failure) throw error;
      return fail(job, failure);
    }
    return succeed(job, chunks);
  }

  return async function ingestFile(job: IngestJob): Promise<IngestResult> {
    const end = deps.metrics.duration.startTimer();
    try {
      const result = await run(job);
      end({ outcome: result.outcome });
      return result;
    } catch (error) {
      end({ outcome: 'error' });
      deps.metrics.failures.inc({ reason: 'transient' });
      throw error;
    }
  };
}

export type IngestFile = ReturnType<typeof createIngestFile>;

const OBJECT_MISSING = 'the uploaded file is missing from storage';

async function readObject(objects: ObjectStore, key: string): Promise<Buffer> {
  try {
    return await objects.get(key);
  } catch (error) {
    if (isAppError(error) && error.code === 'not_found') {
      throw new AppError('invalid_input', OBJECT_MISSING, { type: 'object-missing', cause: error });
    }
    throw error;
  }
}

/**
 * Errors that repeat on every attempt. Any non-retryable `invalid_input` counts: thrown out of the
 * handler, the bus would drop the message and leave the file `ingesting`.
 */
function permanentFailure(error: unknown): PermanentFailure | undefined {
  if (!isAppError(error) || error.code !== 'invalid_input' || error.retryable) return undefined;
  if (error.type === EXTRACTION_FAILED)
    return { reason: error.message, metric: 'extraction-failed' };
  if (error.type === 'object-missing') return { reason: error.message, metric: 'object-missing' };
  return { reason: `the file could not be ingested: ${error.message}`, metric: 'invalid-input' };
}

function refOf(file: FileRecord): FileRef {
  return { tenantId: file.tenantId, projectId: file.projectId, fileId: file.fileId };
}

function publishOptions(job: IngestJob): { correlationId?: string } {
  return job.correlationId ? { correlationId: job.correlationId } : {};
}

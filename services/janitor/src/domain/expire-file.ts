import {
  AppError,
  type FileRecord,
  type FileRef,
  type FilesRepository,
  type KbFileRecord,
  type KbFilesRepository,
  type KnowledgeBase,
  type Logger,
} from '@jitkb/shared';
import { timedKnowledgeBaseCall, type JanitorMetrics } from './janitor-metrics';

export interface ExpireFileDeps {
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  knowledgeBase: KnowledgeBase;
  metrics: JanitorMetrics;
  now?: () => Date;
}

/**
 * What `expireFile` did: `expired` (the file left the knowledge base and is `expired`), `deleted`
 * (the file record was gone: everything of it was removed), or `stale` (the file was refreshed or
 * is being ingested again since the event was sent: nothing was touched).
 */
export type ExpireOutcome = 'expired' | 'deleted' | 'stale';

/** Deletes a kb-files record whatever its ttl (the same bound the ingestion worker uses). */
const ANY_TTL = Number.MAX_SAFE_INTEGER;

/**
 * Removes one file from the knowledge base: its kb-files record, then its chunks, then the file
 * becomes `expired` (its object stays: the next chat ingests it again). Idempotent and safe to
 * run late, twice or out of order:
 *
 * - a kb-files record whose ttl is in the future means a chat refreshed the file after the event
 *   was sent: the event is stale and nothing is removed;
 * - the record is deleted with a condition that its ttl is still past, so a refresh that lands
 *   between the read and the delete wins;
 * - with no record left (the sweeper or DynamoDB's TTL deleted it), the chunks are removed only
 *   from a `ready` file. An `expired` file was handled already, and an `ingesting` one is being
 *   ingested again: deleting now could remove the new chunks (which replace the old ones anyway);
 * - the file is marked `expired` only after its chunks are gone, and only `expired` files can be
 *   claimed for ingestion again, so a re-ingestion never races the removal of the old chunks;
 * - a file whose record is gone (deleted by its user) loses its kb-files record and chunks
 *   whatever the ttl.
 */
export function createExpireFile(deps: ExpireFileDeps) {
  const clock = deps.now ?? (() => new Date());

  async function removeChunks(fileId: string): Promise<void> {
    await timedKnowledgeBaseCall(deps.metrics, 'delete', () => deps.knowledgeBase.delete([fileId]));
  }

  /** Deletes an expired record; false when a refresh won. */
  async function deleteExpiredRecord(record: KbFileRecord, nowSeconds: number): Promise<boolean> {
    const removed = await deps.kbFiles.deleteIfExpired(record.fileId, nowSeconds);
    if (removed) {
      deps.metrics.expiryLag.observe({ path: 'handler' }, Math.max(0, nowSeconds - removed.ttl));
      return true;
    }
    // The condition failed: refreshed (the record is still there), or deleted by the sweeper.
    return (await deps.kbFiles.get(record.fileId)) === undefined;
  }

  async function removeDeletedFile(ref: FileRef, record: KbFileRecord | undefined): Promise<void> {
    if (record) await deps.kbFiles.deleteIfExpired(ref.fileId, ANY_TTL);
    await removeChunks(ref.fileId);
    deps.metrics.filesExpired.inc({ cause: 'deleted' });
  }

  function stale(log: Logger, fileId: string, why: string): ExpireOutcome {
    deps.metrics.staleEvents.inc();
    log.info({ fileId, why }, 'stale file.expired event acknowledged');
    return 'stale';
  }

  return async function expireFile(ref: FileRef, log: Logger): Promise<ExpireOutcome> {
    const nowSeconds = Math.floor(clock().getTime() / 1000);
    const [file, record] = await Promise.all([deps.files.get(ref), deps.kbFiles.get(ref.fileId)]);
    if (record && (record.tenantId !== ref.tenantId || record.projectId !== ref.projectId)) {
      // kb-files is keyed by file id alone: never let one tenant's event remove another's file.
      throw AppError.invalid('the file belongs to another tenant or project');
    }
    if (!file) {
      await removeDeletedFile(ref, record);
      log.info({ fileId: ref.fileId }, 'deleted file removed from the knowledge base');
      return 'deleted';
    }
    if (record) {
      if (record.ttl > nowSeconds) return stale(log, ref.fileId, 'ttl refreshed');
      if (!(await deleteExpiredRecord(record, nowSeconds))) {
        return stale(log, ref.fileId, 'ttl refreshed');
      }
    } else if (!removable(file)) {
      return stale(log, ref.fileId, `file is ${file.status}`);
    }
    await removeChunks(ref.fileId);
    const expired = await deps.files.markExpired(ref);
    // Counted once per expiry: a repeat finds the file `expired` already.
    if (expired) deps.metrics.filesExpired.inc({ cause: 'ttl' });
    log.info({ fileId: ref.fileId, marked: expired !== undefined }, 'file expired');
    return 'expired';
  };
}

/** Whether the chunks of a file without a kb-files record are still to be removed. */
function removable(file: FileRecord): boolean {
  return file.status === 'ready';
}

export type ExpireFile = ReturnType<typeof createExpireFile>;

import type { EventOf, FilesRepository, Logger } from '@jitkb/shared';

/** Longest failure reason kept on the file record. */
const MAX_REASON_LENGTH = 500;

/**
 * `file.ingest-failed`: the file could not be brought into the knowledge base for good.
 * Idempotent; a ready file is left alone (a late failure of an older attempt must not win).
 */
export function createFileIngestFailedHandler(deps: { files: FilesRepository }) {
  return async (event: EventOf<'file.ingest-failed'>, log: Logger): Promise<void> => {
    const { projectId, fileId, reason } = event.data;
    const file = await deps.files.markFailed(
      { tenantId: event.tenantId, projectId, fileId },
      reason.slice(0, MAX_REASON_LENGTH),
    );
    if (file) log.warn({ fileId, reason }, 'file failed ingestion');
    else log.info({ fileId }, 'file.ingest-failed changed nothing (file gone or ready)');
  };
}

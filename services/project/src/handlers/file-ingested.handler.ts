import type { EventOf, FilesRepository, Logger } from '@jitkb/shared';

/**
 * `file.ingested`: the file is ready until `expiresAt`. Idempotent: a repeat, or a late copy of
 * an older ingestion, changes nothing (the repository's transition conditions decide).
 */
export function createFileIngestedHandler(deps: { files: FilesRepository }) {
  return async (event: EventOf<'file.ingested'>, log: Logger): Promise<void> => {
    const { projectId, fileId, expiresAt } = event.data;
    const file = await deps.files.markReady(
      { tenantId: event.tenantId, projectId, fileId },
      expiresAt,
    );
    if (file) log.info({ fileId, expiresAt }, 'file ready');
    else log.info({ fileId }, 'file.ingested changed nothing (file gone or already newer)');
  };
}

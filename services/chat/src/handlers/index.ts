import type { FilesRepository, Logger, ReceivedEvent } from '@jitkb/shared';

/** Longest failure reason kept on the file record (as the project service keeps it). */
const MAX_REASON_LENGTH = 500;

export interface EventHandlerDeps {
  files: FilesRepository;
  log: Logger;
}

/**
 * The chat queue's handler. A chat's readiness is computed on read from its files' statuses, so
 * no chat record waits on these events. The ingestion worker publishes the event before it writes
 * the file's status; applying the same conditional, idempotent transition here closes the window
 * in which a worker stopped between the two. Errors propagate: the message comes back and is
 * dead-lettered in time.
 */
export function createEventHandler(deps: EventHandlerDeps) {
  return async ({ event, correlationId }: ReceivedEvent): Promise<void> => {
    const log = deps.log.child({ eventId: event.id, eventType: event.type, correlationId });
    if (event.type === 'file.ingested') {
      const { projectId, fileId, expiresAt } = event.data;
      const file = await deps.files.markReady(
        { tenantId: event.tenantId, projectId, fileId },
        expiresAt,
      );
      log.info({ fileId, changed: file !== undefined }, 'file ingested');
    } else if (event.type === 'file.ingest-failed') {
      const { projectId, fileId, reason } = event.data;
      const file = await deps.files.markFailed(
        { tenantId: event.tenantId, projectId, fileId },
        reason.slice(0, MAX_REASON_LENGTH),
      );
      log.info({ fileId, changed: file !== undefined }, 'file ingestion failed');
    } else {
      log.warn('event type not handled here; acknowledged');
    }
  };
}

import type { FilesRepository, Logger, ReceivedEvent } from '@jitkb/shared';
import { createFileIngestFailedHandler } from './file-ingest-failed.handler';
import { createFileIngestedHandler } from './file-ingested.handler';

export interface EventHandlerDeps {
  files: FilesRepository;
  log: Logger;
}

/**
 * The project queue's handler: keeps file statuses in step with ingestion. Errors propagate:
 * the bus logs them, times the handler and brings the message back (dead-lettered in time).
 */
export function createEventHandler(deps: EventHandlerDeps) {
  const ingested = createFileIngestedHandler(deps);
  const failed = createFileIngestFailedHandler(deps);

  return async ({ event, correlationId }: ReceivedEvent): Promise<void> => {
    const log = deps.log.child({ eventId: event.id, eventType: event.type, correlationId });
    if (event.type === 'file.ingested') await ingested(event, log);
    else if (event.type === 'file.ingest-failed') await failed(event, log);
    else log.warn('event type not handled here; acknowledged');
  };
}

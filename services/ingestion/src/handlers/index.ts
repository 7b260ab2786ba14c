import type { Logger, ReceivedEvent } from '@jitkb/shared';
import type { IngestRequestHandler } from '../domain/ingest-request';
import { createFilesIngestRequestedHandler } from './files-ingest-requested.handler';

export interface EventHandlerDeps {
  ingestRequest: IngestRequestHandler;
  log: Logger;
}

/** The ingestion queue's handler; the bus times it, logs its errors and settles the message. */
export function createEventHandler(deps: EventHandlerDeps) {
  const ingestRequested = createFilesIngestRequestedHandler(deps);

  return async (received: ReceivedEvent): Promise<void> => {
    const { event, correlationId } = received;
    const log = deps.log.child({ eventId: event.id, eventType: event.type, correlationId });
    if (event.type === 'files.ingest-requested') await ingestRequested(event, received, log);
    else log.warn('event type not handled here; acknowledged');
  };
}

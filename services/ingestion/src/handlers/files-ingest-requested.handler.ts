import type { EventOf, Logger, ReceivedEvent } from '@jitkb/shared';
import type { IngestRequestHandler } from '../domain/ingest-request';

/**
 * `files.ingest-requested`: ingests the files the event names. Returning acknowledges; a
 * transient error propagates so that the message comes back (dead-lettered after five receives);
 * the rate limit either defers the message or hands the remaining files on to a new one.
 */
export function createFilesIngestRequestedHandler(deps: { ingestRequest: IngestRequestHandler }) {
  return async (
    event: EventOf<'files.ingest-requested'>,
    received: Pick<ReceivedEvent, 'receiveCount' | 'correlationId'>,
    log: Logger,
  ): Promise<void> => {
    const summary = await deps.ingestRequest({
      event,
      receiveCount: received.receiveCount,
      correlationId: received.correlationId,
      log,
    });
    log.info(
      {
        ingested: summary.ingested.length,
        failed: summary.failed.length,
        skipped: summary.skipped.length,
        handedOn: summary.handedOn.length,
      },
      'ingestion request handled',
    );
  };
}

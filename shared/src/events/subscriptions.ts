import type { EventType } from './events';

/** The services that consume events, each with a queue of its own. */
export const CONSUMERS = ['project', 'chat', 'ingestion', 'janitor'] as const;
export type ConsumerName = (typeof CONSUMERS)[number];

/**
 * Which event types reach which consumer's queue: the SNS filter policies in AWS and the fan-out of
 * the embedded bus both come from this table.
 */
export const SUBSCRIPTIONS: Record<ConsumerName, readonly EventType[]> = {
  project: ['file.ingested', 'file.ingest-failed'],
  chat: ['file.ingested', 'file.ingest-failed'],
  ingestion: ['files.ingest-requested'],
  // The janitor owns every removal: expired files, deleted files and deleted projects.
  janitor: ['file.expired', 'project.deleted'],
};

/** Receives before a message moves to its dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

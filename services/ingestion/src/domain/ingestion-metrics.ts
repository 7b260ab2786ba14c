import type { Counter, Histogram } from 'prom-client';
import type { ServiceMetrics } from '@jitkb/shared';

/** What the ingestion worker counts, on the service's registry. */
export interface IngestionMetrics {
  /** Files that reached the knowledge base, by tier. */
  filesIngested: Counter<'tier'>;
  /** Chunks written to the knowledge base, by tier. */
  chunks: Counter<'tier'>;
  /** Time to ingest one file, from reading the object to the status write, by outcome. */
  duration: Histogram<'outcome'>;
  /** Files put off by the tier's ingestion rate limit. */
  throttled: Counter<'tier'>;
  /** Files that could not be ingested, by a short reason (never free text). */
  failures: Counter<'reason'>;
  /** The shared histogram of knowledge base calls. */
  knowledgeBaseCalls: ServiceMetrics['knowledgeBaseCalls'];
  /** The shared counter of tier-limit rejections. */
  limitRejections: ServiceMetrics['limitRejections'];
}

/** Failure reasons: a bounded label set. */
export type FailureReason = 'extraction-failed' | 'object-missing' | 'invalid-input' | 'transient';

export function createIngestionMetrics(metrics: ServiceMetrics): IngestionMetrics {
  return {
    filesIngested: metrics.counter('jitkb_ingestion_files_total', 'Files ingested', ['tier']),
    chunks: metrics.counter('jitkb_ingestion_chunks_total', 'Chunks ingested', ['tier']),
    duration: metrics.histogram(
      'jitkb_ingestion_file_duration_seconds',
      'Time to ingest one file, by outcome',
      ['outcome'],
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    ),
    throttled: metrics.counter(
      'jitkb_ingestion_throttled_total',
      'Files put off by the ingestion rate limit',
      ['tier'],
    ),
    failures: metrics.counter(
      'jitkb_ingestion_failures_total',
      'Files that could not be ingested, by reason',
      ['reason'],
    ),
    knowledgeBaseCalls: metrics.knowledgeBaseCalls,
    limitRejections: metrics.limitRejections,
  };
}

import type { Counter, Gauge, Histogram } from 'prom-client';
import type { ServiceMetrics } from '@jitkb/shared';

/** What the janitor measures, registered on the service's registry. */
export interface JanitorMetrics {
  /** Files whose chunks the janitor removed: `ttl` (expired) or `deleted` (record gone). */
  filesExpired: Counter<'cause'>;
  /** `file.expired` events acknowledged without a removal (the file was refreshed or re-ingested). */
  staleEvents: Counter<never>;
  /** Seconds from a file's ttl to the deletion of its kb-files record, by who deleted it. */
  expiryLag: Histogram<'path'>;
  /** Sweeper passes: `swept`, `standby` (another replica holds the lease), `lease-lost`, `failed`. */
  sweeps: Counter<'outcome'>;
  /** 1 while this replica holds the sweeper lease. */
  sweeperLeader: Gauge<never>;
  /** Projects whose files, chunks and objects were removed. */
  projectsRemoved: Counter<never>;
  knowledgeBaseCalls: ServiceMetrics['knowledgeBaseCalls'];
}

// From a second to two days: the sweeper is late by about one interval, DynamoDB's own TTL by
// up to days.
const LAG_BUCKETS = [
  1,
  5,
  15,
  30,
  60,
  120,
  300,
  900,
  1800,
  3600,
  4 * 3600,
  12 * 3600,
  86400,
  172800,
];

/** Registers (or returns) the janitor's metrics. */
export function createJanitorMetrics(metrics: ServiceMetrics): JanitorMetrics {
  return {
    filesExpired: metrics.counter(
      'jitkb_janitor_files_expired_total',
      'Files removed from the knowledge base, by cause (ttl or deleted)',
      ['cause'],
    ),
    staleEvents: metrics.counter(
      'jitkb_janitor_stale_expiry_events_total',
      'file.expired events acknowledged without a removal because the file was refreshed',
      [],
    ),
    expiryLag: metrics.histogram(
      'jitkb_janitor_expiry_lag_seconds',
      'Seconds from a file ttl to the deletion of its kb-files record, by path',
      ['path'],
      LAG_BUCKETS,
    ),
    sweeps: metrics.counter('jitkb_janitor_sweeps_total', 'Sweeper passes by outcome', ['outcome']),
    sweeperLeader: metrics.gauge(
      'jitkb_janitor_sweeper_leader',
      '1 while this replica holds the sweeper lease',
      [],
    ),
    projectsRemoved: metrics.counter(
      'jitkb_janitor_projects_removed_total',
      'Deleted projects whose files, chunks and objects were removed',
      [],
    ),
    knowledgeBaseCalls: metrics.knowledgeBaseCalls,
  };
}

/** Times one knowledge-base call by operation and outcome. */
export async function timedKnowledgeBaseCall<T>(
  metrics: JanitorMetrics,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  const end = metrics.knowledgeBaseCalls.startTimer({ operation });
  try {
    const result = await call();
    end({ outcome: 'ok' });
    return result;
  } catch (error) {
    end({ outcome: 'error' });
    throw error;
  }
}

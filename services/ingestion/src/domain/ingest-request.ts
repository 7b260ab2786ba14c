import {
  createEvent,
  DeferMessageError,
  limitsOf,
  MAX_RECEIVE_COUNT,
  resolveTier,
  type EventBus,
  type EventOf,
  type FileRecord,
  type FilesRepository,
  type IngestionClaim,
  type Logger,
  type RateLimiter,
  type TierConfig,
  type TierRateLimiters,
} from '@jitkb/shared';
import type { IngestFile } from './ingest-file';
import type { IngestionMetrics } from './ingestion-metrics';

export interface IngestRequestDeps {
  files: FilesRepository;
  bus: EventBus;
  tiers: TierConfig;
  /** The `ingest-jobs` limiters: one point per file, counted per tenant. */
  limiters: TierRateLimiters;
  ingestFile: IngestFile;
  metrics: IngestionMetrics;
  /** Seconds after which a claim left by another request may be taken over. */
  claimStaleSeconds: number;
  now?: () => Date;
}

/** One delivery of a `files.ingest-requested` event. */
export interface IngestRequest {
  event: EventOf<'files.ingest-requested'>;
  receiveCount: number;
  correlationId: string | undefined;
  log: Logger;
}

interface RequestContext {
  request: IngestRequest;
  tier: string;
  ttlSeconds: number;
  limiter: RateLimiter;
  claim: IngestionClaim;
}

/** What became of one file, or how long until the rate limit frees a point. */
type FileStep = 'ingested' | 'failed' | 'skipped' | { throttled: number };

/** What became of each file of a request. */
export interface IngestRequestSummary {
  ingested: string[];
  failed: string[];
  /** Missing, not uploaded, already ready or failed, or being ingested by someone else. */
  skipped: string[];
  /** Put off by the rate limit and handed on to a new message. */
  handedOn: string[];
}

/**
 * Brings the files of one request into the knowledge base, one at a time, each under the tier's
 * ingestion rate limit (the tenants config decides the tier; the event's is a hint).
 *
 * When the limit stops the request part-way, the rest must wait without being dropped and without
 * being dead-lettered, although every receive counts toward the queue's dead-letter limit. So:
 * - if this delivery made progress, or the message has used most of its receives, the remaining
 *   files move to a new `files.ingest-requested` message (same chat, same correlation id) and this
 *   one is acknowledged: the new message starts with a fresh receive count;
 * - otherwise nothing fitted, and the message is deferred (DeferMessageError) until a point frees,
 *   which costs one receive of a budget that the rule above refills.
 * Deferring, not republishing, when nothing fitted keeps a throttled tenant from spinning through
 * the queue; republishing after progress keeps long requests from ever reaching the limit.
 */
export function createIngestRequest(deps: IngestRequestDeps) {
  const clock = deps.now ?? (() => new Date());

  /** Whether a file is worth a rate-limit point: it can be claimed, as far as we can tell. */
  function claimable(file: FileRecord, claim: IngestionClaim): boolean {
    if (file.status === 'uploaded' || file.status === 'expired') return true;
    if (file.status !== 'ingesting') return false;
    return (
      file.claimedAt === undefined ||
      file.claimedAt < claim.staleBefore ||
      (file.claimedBy === claim.by && (file.claimAttempt ?? 0) < claim.attempt)
    );
  }

  async function handOn(request: IngestRequest, tier: string, fileIds: string[]): Promise<void> {
    const { event } = request;
    const next = createEvent('files.ingest-requested', event.tenantId, {
      ...event.data,
      tier,
      fileIds,
    });
    await deps.bus.publish(
      next,
      request.correlationId ? { correlationId: request.correlationId } : {},
    );
    request.log.info(
      { nextEventId: next.id, files: fileIds.length },
      'rate limited: rest handed on',
    );
  }

  /** Over the limit: hand the rest on (returns it), or defer the whole message (throws). */
  async function throttled(
    request: IngestRequest,
    tier: string,
    rest: string[],
    progressed: boolean,
    msBeforeNext: number,
  ): Promise<string[]> {
    deps.metrics.throttled.inc({ tier }, rest.length);
    deps.metrics.limitRejections.inc({ limit: 'ingest-jobs', tier });
    if (progressed || request.receiveCount >= MAX_RECEIVE_COUNT - 1) {
      await handOn(request, tier, rest);
      return rest;
    }
    const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
    throw new DeferMessageError(seconds, `ingestion rate limit of tier ${tier}`);
  }

  /** Claims and ingests one file, unless it is not to be ingested here or over the limit. */
  async function processFile(context: RequestContext, fileId: string): Promise<FileStep> {
    const { request, claim } = context;
    const { event, log } = request;
    const ref = { tenantId: event.tenantId, projectId: event.data.projectId, fileId };
    const file = await deps.files.get(ref);
    if (!file || !claimable(file, claim)) {
      log.info({ fileId, status: file?.status ?? 'missing' }, 'file not ingested here: skipped');
      return 'skipped';
    }
    const decision = await context.limiter.consume(event.tenantId);
    if (!decision.allowed) return { throttled: decision.msBeforeNext };
    if (!(await deps.files.claimForIngestion(ref, claim))) {
      log.info({ fileId }, 'another worker claimed the file first: skipped');
      return 'skipped';
    }
    if (file.status === 'ingesting') {
      log.warn({ fileId, claimedAt: file.claimedAt }, 'took over an abandoned ingestion');
    }
    const result = await deps.ingestFile({
      file,
      userId: event.data.userId,
      tier: context.tier,
      ttlSeconds: context.ttlSeconds,
      correlationId: request.correlationId,
      log,
    });
    return result.outcome === 'ready'
      ? 'ingested'
      : result.outcome === 'failed'
        ? 'failed'
        : 'skipped';
  }

  return async function ingestRequest(request: IngestRequest): Promise<IngestRequestSummary> {
    const { event } = request;
    const tier = resolveTier(deps.tiers, event.tenantId, event.data.tier);
    const staleBefore = new Date(clock().getTime() - deps.claimStaleSeconds * 1000).toISOString();
    const context: RequestContext = {
      request,
      tier,
      ttlSeconds: limitsOf(deps.tiers, tier).ttlSeconds,
      limiter: deps.limiters.forTier(tier),
      claim: { by: event.id, attempt: request.receiveCount, staleBefore },
    };
    const summary: IngestRequestSummary = { ingested: [], failed: [], skipped: [], handedOn: [] };
    const fileIds = [...new Set(event.data.fileIds)];
    for (const [position, fileId] of fileIds.entries()) {
      const step = await processFile(context, fileId);
      if (typeof step === 'string') {
        summary[step].push(fileId);
        continue;
      }
      const progressed = summary.ingested.length + summary.failed.length > 0;
      const rest = fileIds.slice(position);
      summary.handedOn = await throttled(request, tier, rest, progressed, step.throttled);
      break;
    }
    return summary;
  };
}

export type IngestRequestHandler = ReturnType<typeof createIngestRequest>;

import {
  AppError,
  tenantOf,
  type RateLimitDecision,
  type ServiceMetrics,
  type TierRateLimiters,
} from '@jitkb/shared';
import type { RequestHandler, Response } from 'express';

export interface QueryLimitDeps {
  /** The `queries` limiters, one per tier, keyed by tenant. */
  limits: TierRateLimiters;
  metrics: ServiceMetrics;
}

/** RateLimit-* fields (draft-ietf-httpapi-ratelimit-headers), on allowed and refused requests. */
function setRateLimitHeaders(res: Response, decision: RateLimitDecision, resetSeconds: number) {
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
}

/**
 * Counts a question against the tenant's tier (queries per minute, shared by all replicas). Over
 * the limit: 429 with Retry-After, nothing is proxied. Runs after authentication.
 */
export function queryLimit(deps: QueryLimitDeps): RequestHandler {
  return (req, res, next) => {
    const { tenantId, tier } = tenantOf(req);
    deps.limits
      .forTier(tier)
      .consume(tenantId)
      .then((decision) => {
        const resetSeconds = Math.max(1, Math.ceil(decision.msBeforeNext / 1000));
        setRateLimitHeaders(res, decision, resetSeconds);
        if (decision.allowed) {
          next();
          return;
        }
        deps.metrics.limitRejections.inc({ limit: 'queries', tier });
        next(
          new AppError(
            'too_many_requests',
            `the ${tier} tier allows ${decision.limit} questions a minute`,
            { type: 'rate-limited', retryAfterSeconds: resetSeconds },
          ),
        );
      }, next);
  };
}

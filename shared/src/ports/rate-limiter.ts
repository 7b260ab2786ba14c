import type { TierConfig, TierLimits } from '../tiers/tiers';

/**
 * The rate-limiter port: fixed-window counters shared by every replica of every service (SQLite in
 * embedded mode, DynamoDB on aws), used for the per-tier query and ingestion limits.
 */

/** One limit: `points` per window of `durationSeconds`. */
export interface RateLimit {
  points: number;
  durationSeconds: number;
}

/** The answer of `consume`. */
export interface RateLimitDecision {
  /** Whether the points fit within the limit; when false, the caller must not proceed. */
  allowed: boolean;
  /** The limit's points per window (for RateLimit-Limit). */
  limit: number;
  /** Points left in the current window, never negative. */
  remaining: number;
  /** Milliseconds until the current window ends and points are available again. */
  msBeforeNext: number;
}

/** The state of a key without consuming anything. */
export interface RateLimitUsage {
  /** Points consumed in the current window (may exceed the limit after refused attempts). */
  consumed: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  msBeforeReset: number;
}

/** One named limit. Keys are the caller's (a tenant id, usually). */
export interface RateLimiter {
  readonly name: string;
  readonly limit: RateLimit;
  /**
   * Consumes `points` (default 1) for `key`. Over the limit it resolves `allowed: false` rather
   * than throwing; a store failure throws AppError `unavailable` (retryable).
   */
  consume(key: string, points?: number): Promise<RateLimitDecision>;
  /** The current window of `key`, or undefined when nothing was consumed in it. */
  get(key: string): Promise<RateLimitUsage | undefined>;
}

/**
 * Creates limiters over one shared store. Limiters with the same name share their counters (points
 * consumed per key and window); each compares them with its own `points`, so one name may serve
 * several sizes (one per tier) as long as the window is the same.
 */
export interface RateLimiterFactory {
  create(name: string, limit: RateLimit): RateLimiter;
  close?(): Promise<void>;
}

/** The per-tier limits of DESIGN.md, by the limiter name every service uses for them. */
export const TIER_RATE_LIMITS = {
  /** Questions per tenant (POST /v1/chats/{chatId}/messages), enforced by the gateway. */
  queries: (limits: TierLimits) => limits.queriesPerMinute,
  /** Knowledge-base ingestion jobs per tenant, enforced by the ingestion worker. */
  'ingest-jobs': (limits: TierLimits) => limits.ingestJobsPerMinute,
} as const;
export type TierRateLimitName = keyof typeof TIER_RATE_LIMITS;

/** One per-minute limit in every tier, counted per key (the tenant id) whatever its tier. */
export interface TierRateLimiters {
  /** The limiter of a tier; an unknown tier throws. */
  forTier(tier: string): RateLimiter;
  /** Points `key` consumed in the current minute (refused attempts included). */
  consumed(key: string): Promise<number>;
}

/**
 * The limiters of one per-tier limit, e.g. `createTierRateLimiters(adapters.rateLimiters, tiers,
 * 'queries')`. They share one name, so the project service can report a tenant's usage of the
 * limit that the gateway enforces.
 */
export function createTierRateLimiters(
  factory: RateLimiterFactory,
  tierConfig: TierConfig,
  name: TierRateLimitName,
): TierRateLimiters {
  const pointsOf = TIER_RATE_LIMITS[name];
  const limiters = new Map(
    Object.entries(tierConfig.tiers).map(([tier, limits]) => [
      tier,
      factory.create(name, { points: pointsOf(limits), durationSeconds: 60 }),
    ]),
  );
  const any = limiters.values().next().value;
  return {
    forTier(tier) {
      const limiter = limiters.get(tier);
      if (!limiter) throw new Error(`unknown tier ${tier}`);
      return limiter;
    },
    async consumed(key) {
      return (await any?.get(key))?.consumed ?? 0;
    },
  };
}

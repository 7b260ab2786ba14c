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
 * Creates limiters over one shared store. Two limiters with the same name share counters, so a
 * name must identify the limit and its size (e.g. `queries:free`).
 */
export interface RateLimiterFactory {
  create(name: string, limit: RateLimit): RateLimiter;
  close?(): Promise<void>;
}

import { RateLimiterRes, type RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import { AppError } from '../../errors/app-error';
import type {
  RateLimit,
  RateLimitDecision,
  RateLimiter,
  RateLimitUsage,
} from '../../ports/rate-limiter';

const NAME = /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,63}$/;

/** Checks a limiter's name and size before a store is built for it. */
export function checkRateLimit(name: string, limit: RateLimit): void {
  if (!NAME.test(name)) throw new Error(`invalid rate limiter name: ${name}`);
  if (!Number.isInteger(limit.points) || limit.points < 1) {
    throw new Error(`rate limit ${name}: points must be a positive integer`);
  }
  if (!Number.isInteger(limit.durationSeconds) || limit.durationSeconds < 1) {
    throw new Error(`rate limit ${name}: durationSeconds must be a positive integer`);
  }
}

/**
 * The RateLimiter port over any rate-limiter-flexible store: the store keeps the counters, this
 * class turns its "rejected with a RateLimiterRes" convention into a decision and its store
 * failures into AppError.
 */
export class FlexibleRateLimiter implements RateLimiter {
  constructor(
    readonly name: string,
    readonly limit: RateLimit,
    private readonly store: RateLimiterStoreAbstract,
  ) {}

  async consume(key: string, points = 1): Promise<RateLimitDecision> {
    if (key.length === 0) throw AppError.invalid('a rate-limit key is required');
    if (!Number.isInteger(points) || points < 1) {
      throw AppError.invalid('points must be a positive integer');
    }
    try {
      return this.decision(true, await this.store.consume(key, points));
    } catch (error) {
      // The library rejects with the counter's state when the limit is exceeded.
      if (error instanceof RateLimiterRes) return this.decision(false, error);
      throw this.unavailable(error);
    }
  }

  async get(key: string): Promise<RateLimitUsage | undefined> {
    let res: RateLimiterRes | null;
    try {
      res = await this.store.get(key);
    } catch (error) {
      throw this.unavailable(error);
    }
    if (!res) return undefined;
    return {
      consumed: res.consumedPoints,
      remaining: Math.max(this.limit.points - res.consumedPoints, 0),
      msBeforeReset: Math.max(res.msBeforeNext, 0),
    };
  }

  private decision(allowed: boolean, res: RateLimiterRes): RateLimitDecision {
    return {
      allowed,
      limit: this.limit.points,
      remaining: Math.max(res.remainingPoints, 0),
      msBeforeNext: Math.max(res.msBeforeNext, 0),
    };
  }

  private unavailable(cause: unknown): AppError {
    return new AppError('unavailable', `the rate limiter ${this.name} is unavailable`, {
      cause,
      retryable: true,
      retryAfterSeconds: 1,
    });
  }
}

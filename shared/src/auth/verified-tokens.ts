import { LRUCache } from 'lru-cache';
import type { TenantContext } from './tenant-context';

export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered; the least recently used is dropped first (default 10 000). */
  maxEntries?: number;
  /**
   * Longest time a verified token is remembered, whatever its `exp` (default 30 s). It bounds how
   * long a token keeps working after its signing key is withdrawn from the issuer's key set.
   */
  maxAgeMs?: number;
  /** The clock in epoch milliseconds (default Date.now). */
  now?: () => number;
}

/**
 * Tokens that passed full verification, keyed by the exact token string, so that a caller sending
 * the same token again is not charged a signature check per request. Any change to a token (a
 * tampered claim or signature) is a different key and is verified afresh; a failed verification is
 * never remembered.
 */
export interface VerifiedTokenCache {
  /** The tenant of a token verified earlier, or undefined when unknown, past `exp` or too old. */
  get(token: string): TenantContext | undefined;
  /** Remembers a verified token until the earlier of its `exp` (epoch seconds) and the max age. */
  set(token: string, tenant: TenantContext, expSeconds: number): void;
}

interface Entry {
  tenant: TenantContext;
  /** Epoch ms: from this instant on the entry is not used. */
  until: number;
}

/** Creates the bounded cache of verified tokens (see VerifiedTokenCache). */
export function createVerifiedTokenCache(
  options: VerifiedTokenCacheOptions = {},
): VerifiedTokenCache {
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const now = options.now ?? Date.now;
  // lru-cache bounds the size and drops dead entries; it "does not make strong TTL guarantees"
  // (its README), so every hit is checked against `until` on the cache's own clock as well.
  const entries = new LRUCache<string, Entry>({
    max: options.maxEntries ?? 10_000,
    ttl: maxAgeMs,
  });
  return {
    get(token) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (now() >= entry.until) {
        entries.delete(token);
        return undefined;
      }
      return entry.tenant;
    },
    set(token, tenant, expSeconds) {
      const at = now();
      const until = Math.min(expSeconds * 1000, at + maxAgeMs);
      if (!(until > at)) return;
      entries.set(token, { tenant: Object.freeze({ ...tenant }), until }, { ttl: until - at });
    },
  };
}

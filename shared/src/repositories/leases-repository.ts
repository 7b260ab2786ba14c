import { ConditionFailedError } from '../errors/app-error';
import type { TableStore } from '../ports/table';

/** A named lease: who holds it and until when (epoch milliseconds). */
export type LeaseRecord = {
  name: string;
  holder: string;
  expiresAt: number;
  /** When the holder last took or renewed it (ISO 8601), for whoever inspects the table. */
  renewedAt: string;
};

/**
 * Leases on the `leases` table: at most one holder per name at a time, decided by conditional
 * writes, so that replicas of a service can elect one of them to do a job (the janitor's sweeper).
 * A holder that dies without releasing its lease loses it when it expires.
 *
 * Holders compare expiry times written by other processes' clocks, so a lease must last much
 * longer than the clock skew between replicas.
 */
export interface LeasesRepository {
  /**
   * Takes the lease for `durationMs` if nobody holds it, its holder's time ran out, or `holder`
   * holds it already (then it is extended); true when `holder` holds it afterwards.
   */
  acquire(name: string, holder: string, durationMs: number): Promise<boolean>;
  /** Extends the lease only if `holder` still holds it; false when it was lost. */
  renew(name: string, holder: string, durationMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it; false when it did not (nothing changes then). */
  release(name: string, holder: string): Promise<boolean>;
  get(name: string): Promise<LeaseRecord | undefined>;
}

export interface LeasesRepositoryOptions {
  /** The clock in epoch milliseconds (tests pass their own). */
  now?: () => number;
}

function assertDuration(durationMs: number): void {
  if (!Number.isInteger(durationMs) || durationMs < 1) {
    throw new RangeError('a lease duration must be a positive whole number of milliseconds');
  }
}

/** Leases on any table store (DynamoDB or the embedded SQLite). */
export function createLeasesRepository(
  tables: TableStore,
  options: LeasesRepositoryOptions = {},
): LeasesRepository {
  const table = tables.table<LeaseRecord>('leases');
  const now = options.now ?? (() => Date.now());

  async function conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  return {
    async acquire(name, holder, durationMs) {
      assertDuration(durationMs);
      const at = now();
      const record: LeaseRecord = {
        name,
        holder,
        expiresAt: at + durationMs,
        renewedAt: new Date(at).toISOString(),
      };
      return await conditionally(() =>
        table.put(record, {
          condition: {
            or: [{ notExists: 'name' }, { eq: ['holder', holder] }, { lte: ['expiresAt', at] }],
          },
        }),
      );
    },
    async renew(name, holder, durationMs) {
      assertDuration(durationMs);
      const at = now();
      return await conditionally(() =>
        table.update(
          { name },
          { expiresAt: at + durationMs, renewedAt: new Date(at).toISOString() },
          // `exists` first: a renewal must never recreate a released lease.
          { condition: { and: [{ exists: 'name' }, { eq: ['holder', holder] }] } },
        ),
      );
    },
    release(name, holder) {
      return conditionally(() => table.delete({ name }, { condition: { eq: ['holder', holder] } }));
    },
    get: (name) => table.get({ name }),
  };
}

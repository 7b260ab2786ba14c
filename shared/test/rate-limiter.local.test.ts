import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteRateLimiterFactory } from '../src/adapters/local/sqlite-rate-limiter';
import { describeRateLimiter } from '../src/contracts/rate-limiter.contract';
import { createTierRateLimiters } from '../src/ports/rate-limiter';
import { DEFAULT_TIERS } from '../src/tiers/tiers';

describeRateLimiter('SQLite (embedded)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-rate-'));
  const file = path.join(dir, 'rate-limits.db');
  const opened: SqliteRateLimiterFactory[] = [];
  const open = () => {
    const factory = new SqliteRateLimiterFactory({ path: file });
    opened.push(factory);
    return factory;
  };
  return {
    factory: open(),
    other: open,
    async cleanup() {
      for (const factory of opened) await factory.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteRateLimiterFactory', () => {
  it('keeps counters in its file across a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-rate-'));
    const file = path.join(dir, 'rate-limits.db');
    try {
      const first = new SqliteRateLimiterFactory({ path: file });
      await first.create('restart', { points: 1, durationSeconds: 60 }).consume('t');
      await first.close();
      const second = new SqliteRateLimiterFactory({ path: file });
      const decision = await second
        .create('restart', { points: 1, durationSeconds: 60 })
        .consume('t');
      await second.close();
      expect(decision.allowed).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a closed store as unavailable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-rate-'));
    try {
      const factory = new SqliteRateLimiterFactory({ path: path.join(dir, 'r.db') });
      const limiter = factory.create('closed', { points: 1, durationSeconds: 60 });
      await factory.close();
      await expect(limiter.consume('t')).rejects.toMatchObject({
        code: 'unavailable',
        retryable: true,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createTierRateLimiters', () => {
  it("applies each tier's queries per minute and reports usage whatever the tier", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitkb-rate-'));
    const factory = new SqliteRateLimiterFactory({ path: path.join(dir, 'r.db') });
    try {
      const limits = createTierRateLimiters(
        factory,
        { tiers: DEFAULT_TIERS, tenants: {} },
        'queries',
      );
      const free = limits.forTier('free');
      expect(free.limit).toEqual({ points: 10, durationSeconds: 60 });
      expect(limits.forTier('premium').limit.points).toBe(300);
      expect(() => limits.forTier('platinum')).toThrow(/unknown tier/);
      expect(await limits.consumed('acme')).toBe(0);
      await free.consume('acme', 10);
      expect((await free.consume('acme')).allowed).toBe(false);
      expect(await limits.consumed('acme')).toBe(11);
      expect(await limits.consumed('globex')).toBe(0);
    } finally {
      await factory.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

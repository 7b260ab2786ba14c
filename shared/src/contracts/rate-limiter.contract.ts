import { randomUUID } from 'node:crypto';
import type { RateLimiterFactory } from '../ports/rate-limiter';

export interface RateLimiterFixture {
  factory: RateLimiterFactory;
  /** Another factory over the same store, as another process or replica would open it. */
  other(): RateLimiterFactory;
  cleanup(): Promise<void>;
}

/** A limiter name of its own for each test, since the store outlives the test. */
function uniqueName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The behaviour every RateLimiterFactory shares; run against each adapter. */
export function describeRateLimiter(label: string, make: () => Promise<RateLimiterFixture>): void {
  describe(`RateLimiter contract: ${label}`, () => {
    let fixture: RateLimiterFixture;
    beforeAll(async () => {
      fixture = await make();
    });
    afterAll(async () => {
      await fixture.cleanup();
    });

    it('allows the limit in one window, then refuses with the time to wait', async () => {
      const limiter = fixture.factory.create(uniqueName('q'), { points: 3, durationSeconds: 60 });
      const decisions = [];
      for (let i = 0; i < 4; i += 1) decisions.push(await limiter.consume('tenant-a'));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
      expect(decisions.every((d) => d.limit === 3)).toBe(true);
      const refused = decisions[3]!;
      expect(refused.msBeforeNext).toBeGreaterThan(55_000);
      expect(refused.msBeforeNext).toBeLessThanOrEqual(60_000);
    });

    it('counts each key on its own', async () => {
      const limiter = fixture.factory.create(uniqueName('q'), { points: 1, durationSeconds: 60 });
      expect((await limiter.consume('tenant-a')).allowed).toBe(true);
      expect((await limiter.consume('tenant-b')).allowed).toBe(true);
      expect((await limiter.consume('tenant-a')).allowed).toBe(false);
    });

    it('consumes several points at once', async () => {
      const limiter = fixture.factory.create(uniqueName('q'), { points: 5, durationSeconds: 60 });
      expect(await limiter.consume('k', 4)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await limiter.consume('k', 2)).toMatchObject({ allowed: false, remaining: 0 });
    });

    it('shares counters between factories over the same store', async () => {
      const name = uniqueName('shared');
      const one = fixture.factory.create(name, { points: 2, durationSeconds: 60 });
      const two = fixture.other().create(name, { points: 2, durationSeconds: 60 });
      expect((await one.consume('t')).allowed).toBe(true);
      expect((await two.consume('t')).allowed).toBe(true);
      expect((await one.consume('t')).allowed).toBe(false);
      expect((await two.consume('t')).allowed).toBe(false);
    });

    it('lets limiters of one name and different sizes share counters', async () => {
      const name = uniqueName('tiers');
      const small = fixture.factory.create(name, { points: 2, durationSeconds: 60 });
      const large = fixture.factory.create(name, { points: 5, durationSeconds: 60 });
      await small.consume('t', 2);
      expect(await small.consume('t')).toMatchObject({ allowed: false, limit: 2 });
      expect(await large.consume('t')).toMatchObject({ allowed: true, limit: 5, remaining: 1 });
    });

    it('keeps limits of different names apart', async () => {
      const a = fixture.factory.create(uniqueName('a'), { points: 1, durationSeconds: 60 });
      const b = fixture.factory.create(uniqueName('b'), { points: 1, durationSeconds: 60 });
      expect((await a.consume('t')).allowed).toBe(true);
      expect((await b.consume('t')).allowed).toBe(true);
    });

    it('never allows more than the limit under concurrent requests', async () => {
      const limiter = fixture.factory.create(uniqueName('race'), {
        points: 5,
        durationSeconds: 60,
      });
      const decisions = await Promise.all(Array.from({ length: 12 }, () => limiter.consume('t')));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    });

    it('starts a new window once the duration has passed', async () => {
      const limiter = fixture.factory.create(uniqueName('w'), { points: 1, durationSeconds: 1 });
      expect((await limiter.consume('t')).allowed).toBe(true);
      expect((await limiter.consume('t')).allowed).toBe(false);
      await sleep(1100);
      expect((await limiter.consume('t')).allowed).toBe(true);
    });

    it('reports usage without consuming', async () => {
      const limiter = fixture.factory.create(uniqueName('g'), { points: 4, durationSeconds: 60 });
      expect(await limiter.get('t')).toBeUndefined();
      await limiter.consume('t', 3);
      const usage = await limiter.get('t');
      expect(usage).toMatchObject({ consumed: 3, remaining: 1 });
      expect(usage!.msBeforeReset).toBeGreaterThan(55_000);
      expect(await limiter.get('t')).toMatchObject({ consumed: 3 });
    });

    it('refuses malformed names, limits and points', async () => {
      expect(() => fixture.factory.create('bad name', { points: 1, durationSeconds: 1 })).toThrow();
      expect(() => fixture.factory.create('ok', { points: 0, durationSeconds: 1 })).toThrow();
      expect(() => fixture.factory.create('ok', { points: 1, durationSeconds: 0.5 })).toThrow();
      const limiter = fixture.factory.create(uniqueName('p'), { points: 1, durationSeconds: 60 });
      await expect(limiter.consume('t', 0)).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(limiter.consume('')).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });
}

import { createLogger, type EventBus } from '@jitkb/shared';
import { createJanitorMetrics } from '../src/domain/janitor-metrics';
import { SWEEPER_LEASE, createSweeper } from '../src/domain/sweeper';
import { metricValue, startHarness, waitFor, type Harness } from './harness';

const TEXT = 'Lighthouses once burned whale oil.\n\nLater they switched to kerosene.';

/** Two janitor replicas on the same embedded stores: one lease decides which one sweeps. */
describe('sweeper replicas', () => {
  let first: Harness;
  let second: Harness;
  beforeEach(async () => {
    first = await startHarness({ holderId: 'replica-1', sweepIntervalSeconds: 1 });
    second = await startHarness({
      holderId: 'replica-2',
      sweepIntervalSeconds: 1,
      dataDir: first.dataDir,
      knowledgeBase: first.knowledgeBase,
    });
  });
  afterEach(async () => {
    await second.close();
    await first.close();
  });

  it('lets a second replica do nothing while the first holds the lease', async () => {
    expect(await first.service.sweeper.sweepOnce()).toEqual({ outcome: 'swept', published: 0 });
    const ref = await first.seedFile({
      tenantId: 't1',
      projectId: 'p1',
      text: TEXT,
      ttlSeconds: -5,
    });

    expect(await second.service.sweeper.sweepOnce()).toEqual({ outcome: 'standby' });
    expect(await second.kbFiles.get(ref.fileId)).toBeDefined();
    expect((await first.leases.get(SWEEPER_LEASE))?.holder).toBe('replica-1');

    expect(await first.service.sweeper.sweepOnce()).toEqual({ outcome: 'swept', published: 1 });
    expect(await first.kbFiles.get(ref.fileId)).toBeUndefined();
  });

  it('hands the lease over when the holder stops and releases it', async () => {
    await first.service.sweeper.sweepOnce();
    await first.service.sweeper.stop();
    expect(await first.leases.get(SWEEPER_LEASE)).toBeUndefined();

    const ref = await first.seedFile({
      tenantId: 't1',
      projectId: 'p1',
      text: TEXT,
      ttlSeconds: -5,
    });
    expect(await second.service.sweeper.sweepOnce()).toEqual({ outcome: 'swept', published: 1 });
    expect(await second.kbFiles.get(ref.fileId)).toBeUndefined();
  });

  it('sweeps with exactly one of two running replicas, which removes the expired file', async () => {
    first.startConsumer();
    second.startConsumer();
    first.service.sweeper.start();
    second.service.sweeper.start();
    const ref = await first.seedFile({
      tenantId: 't1',
      projectId: 'p1',
      text: TEXT,
      ttlSeconds: -5,
    });
    await waitFor('the expired file to be removed', async () =>
      (await first.files.get(ref))?.status === 'expired' ? true : undefined,
    );
    expect(await first.knowledgeBase.countChunks(ref.fileId)).toBe(0);

    const swept = await Promise.all(
      [first, second].map((h) =>
        metricValue(h.metrics, 'jitkb_janitor_sweeps_total', { outcome: 'swept' }),
      ),
    );
    const standby = await Promise.all(
      [first, second].map((h) =>
        metricValue(h.metrics, 'jitkb_janitor_sweeps_total', { outcome: 'standby' }),
      ),
    );
    // Whichever started first leads; the other one only ever stood by.
    const leader = (swept[0] ?? 0 > 0) ? 0 : 1;
    expect(swept[leader]).toBeGreaterThan(0);
    expect(swept[1 - leader]).toBe(0);
    expect(standby[1 - leader]).toBeGreaterThan(0);
  });

  it('lets another replica take over once a holder that died lets the lease run out', async () => {
    // A holder that vanished without releasing: its lease ran out a moment ago.
    expect(await first.leases.acquire(SWEEPER_LEASE, 'crashed-replica', 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await second.service.sweeper.sweepOnce()).toEqual({ outcome: 'swept', published: 0 });
    expect((await second.leases.get(SWEEPER_LEASE))?.holder).toBe('replica-2');
  });

  it('stops part-way when its lease is taken while it sweeps, leaving the rest to the new holder', async () => {
    // Pages of one: the lease is renewed after every page and every shard.
    const { kbFiles } = first;
    for (let i = 0; i < 3; i += 1) {
      await first.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    }
    const bus: EventBus = {
      ...first.adapters.bus,
      consume: (options) => first.adapters.bus.consume(options),
      deadLetterDepth: (consumer) => first.adapters.bus.deadLetterDepth(consumer),
      async publish(event, options) {
        await first.adapters.bus.publish(event, options);
        // Another replica took the lease over meanwhile (this one stalled past its expiry).
        await first.adapters.tables.table('leases').put({
          name: SWEEPER_LEASE,
          holder: 'usurper',
          expiresAt: Date.now() + 60_000,
          renewedAt: '',
        });
      },
    };
    const sweeper = createSweeper({
      kbFiles,
      leases: first.leases,
      bus,
      log: createLogger({ service: 'janitor', level: 'silent' }),
      metrics: createJanitorMetrics(first.metrics),
      holderId: 'replica-1',
      intervalSeconds: 1,
      pageSize: 1,
    });
    const result = await sweeper.sweepOnce();
    expect(result).toEqual({ outcome: 'lease-lost', published: 1 });
    const left = (
      await Promise.all(
        kbFiles.shards.map((shard) =>
          kbFiles.queryExpired(shard, Math.floor(Date.now() / 1000), 10),
        ),
      )
    ).flat();
    expect(left).toHaveLength(2);
  });
});

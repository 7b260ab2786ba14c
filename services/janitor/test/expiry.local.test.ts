import { buildRetrievalFilter } from '@jitkb/shared';
import { metricValue, startHarness, sleep, waitFor, type Harness } from './harness';

const INTERVAL_SECONDS = 1;
const TTL_SECONDS = 3;
const TEXT =
  'The aurora borealis glows green above Tromsø in winter.\n\n' +
  'Charged particles of the solar wind excite oxygen high in the atmosphere.';

/**
 * End to end on the embedded adapters: the janitor's consumer and sweeper run as in main.ts, with
 * a 1 s sweep and a 3 s tier ttl.
 */
describe('expiry on time (embedded)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ sweepIntervalSeconds: INTERVAL_SECONDS });
    h.startConsumer();
    h.service.sweeper.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('removes a file within one sweep interval of its ttl: no chunks, expired, not retrieved', async () => {
    const ref = await h.seedFile({ ...scope('a'), text: TEXT, ttlSeconds: TTL_SECONDS });
    const record = await h.kbFiles.get(ref.fileId);
    if (!record) throw new Error('no kb-files record');
    expect(await h.retrieve(ref.tenantId, ref.projectId, [ref.fileId], 'aurora')).not.toEqual([]);

    await waitFor('the chunks to go', async () =>
      (await h.knowledgeBase.countChunks(ref.fileId)) === 0 ? true : undefined,
    );
    // One interval for the sweep to come round, and a little for the publish and the handler.
    expect(Date.now() - record.ttl * 1000).toBeLessThanOrEqual(INTERVAL_SECONDS * 1000 + 2000);

    await waitFor('the file to be expired', async () =>
      (await h.files.get(ref))?.status === 'expired' ? true : undefined,
    );
    expect(await h.kbFiles.get(ref.fileId)).toBeUndefined();
    expect(await h.retrieve(ref.tenantId, ref.projectId, [ref.fileId], 'aurora')).toEqual([]);
    // Even a filter built before the ttl passed finds nothing: the chunks are gone, not hidden.
    const tenant = { tenantId: ref.tenantId, userId: 'user-1', email: undefined, tier: 'free' };
    const before = buildRetrievalFilter(tenant, ref.projectId, [record], record.ttl - 1);
    expect(await h.knowledgeBase.retrieve('aurora', before)).toEqual([]);
    // The object stays: the next chat ingests the file again.
    const file = await h.files.get(ref);
    expect(await h.adapters.objects.head(file?.objectKey ?? '')).toBeDefined();
  });

  it('keeps a file whose ttl a chat refreshed before it passed', async () => {
    const ref = await h.seedFile({ ...scope('b'), text: TEXT, ttlSeconds: TTL_SECONDS });
    await sleep(1500);
    expect(await h.kbFiles.refreshTtl(ref.fileId, Math.floor(Date.now() / 1000) + 600)).toBe(
      'extended',
    );
    // Past the first ttl by more than two sweeps.
    await sleep((TTL_SECONDS + 2 * INTERVAL_SECONDS) * 1000);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(2);
    expect((await h.files.get(ref))?.status).toBe('ready');
    expect(await h.retrieve(ref.tenantId, ref.projectId, [ref.fileId], 'aurora')).not.toEqual([]);
  });

  it('measures files expired and the lag from ttl to removal', async () => {
    expect(
      await metricValue(h.metrics, 'jitkb_janitor_files_expired_total', { cause: 'ttl' }),
    ).toBe(1);
    const lagCount = await metricValue(
      h.metrics,
      'jitkb_janitor_expiry_lag_seconds',
      { path: 'sweeper' },
      'jitkb_janitor_expiry_lag_seconds_count',
    );
    expect(lagCount).toBe(1);
  });
});

let counter = 0;
function scope(label: string): { tenantId: string; projectId: string } {
  counter += 1;
  return { tenantId: `tenant-${label}-${counter}`, projectId: `project-${counter}` };
}

import { AppError, createEvent, type FileRef } from '@jitkb/shared';
import { metricValue, startHarness, type Harness } from './harness';

const TEXT = 'Glaciers carve fjords over millennia.\n\nMeltwater feeds the rivers below.';

describe('file.expired handler', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  const expire = (ref: FileRef, tenantId = ref.tenantId) =>
    h.service.handleEvent({
      event: createEvent('file.expired', tenantId, {
        projectId: ref.projectId,
        fileId: ref.fileId,
      }),
      receiveCount: 1,
      correlationId: undefined,
    });

  const metric = (name: string, labels: Record<string, string> = {}) =>
    metricValue(h.metrics, name, labels);

  it('removes the chunks and record of an expired file and marks it expired, keeping its object', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    const before = await metric('jitkb_janitor_files_expired_total', { cause: 'ttl' });
    await expire(ref);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(0);
    expect(await h.kbFiles.get(ref.fileId)).toBeUndefined();
    expect((await h.files.get(ref))?.status).toBe('expired');
    const file = await h.files.get(ref);
    expect(await h.adapters.objects.head(file?.objectKey ?? '')).toBeDefined();
    expect(await metric('jitkb_janitor_files_expired_total', { cause: 'ttl' })).toBe(before + 1);
  });

  it('is idempotent: a repeat changes nothing, counts nothing and throws nothing', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    await expire(ref);
    const counted = await metric('jitkb_janitor_files_expired_total', { cause: 'ttl' });
    await expire(ref);
    expect((await h.files.get(ref))?.status).toBe('expired');
    expect(await metric('jitkb_janitor_files_expired_total', { cause: 'ttl' })).toBe(counted);
  });

  it('acknowledges a stale event for a file whose ttl was refreshed since, removing nothing', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: 600 });
    const stale = await metric('jitkb_janitor_stale_expiry_events_total');
    await expire(ref);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(2);
    expect(await h.kbFiles.get(ref.fileId)).toBeDefined();
    expect((await h.files.get(ref))?.status).toBe('ready');
    expect(await metric('jitkb_janitor_stale_expiry_events_total')).toBe(stale + 1);
  });

  it('removes the chunks of a ready file whose record DynamoDB TTL or the sweeper already deleted', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    await h.kbFiles.deleteIfExpired(ref.fileId, Math.floor(Date.now() / 1000));
    await expire(ref);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(0);
    expect((await h.files.get(ref))?.status).toBe('expired');
  });

  it('leaves a file that is being ingested again alone once its record is gone', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    await expire(ref);
    // The next chat claims it, and the worker has written new chunks but not yet its record.
    expect(await h.files.claimForIngestion(ref)).toBe(true);
    await h.knowledgeBase.ingest({
      metadata: { ...ref, userId: 'user-1', fileName: 'again.txt' },
      chunks: [{ text: 'Fresh chunk of a re-ingestion.', start: 0, end: 30, index: 0 }],
    });
    await expire(ref);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(1);
    expect((await h.files.get(ref))?.status).toBe('ingesting');
  });

  it('removes a deleted file (record gone) whatever its ttl', async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: 600 });
    await h.files.delete(ref);
    await expire(ref);
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(0);
    expect(await h.kbFiles.get(ref.fileId)).toBeUndefined();
  });

  it("refuses an event naming another tenant's file, removing nothing", async () => {
    const ref = await h.seedFile({ tenantId: 't1', projectId: 'p1', text: TEXT, ttlSeconds: -5 });
    const attempt = expire({ ...ref, tenantId: 't2' });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await h.knowledgeBase.countChunks(ref.fileId)).toBe(2);
    expect(await h.kbFiles.get(ref.fileId)).toBeDefined();
  });
});

/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import {
  DeferMessageError,
  MAX_RECEIVE_COUNT,
  type EventEnvelope,
  type FileRecord,
  type KnowledgeBase,
} from '@jitkb/shared';
import {
  startEmbeddedHarness,
  TEST_TIERS,
  waitFor,
  wrapKnowledgeBase,
  type Harness,
} from './harness';

const STALE_SECONDS = 900;

describe('ingestion requests, one delivery at a time', () => {
  let h: Harness;
  let now = Date.now();
  /** Files deleted when the knowledge base is asked to ingest them (a delete racing ingestion). */
  const deleteOnIngest = new Set<string>();
  beforeAll(async () => {
    h = await startEmbeddedHarness({
      tiers: { ...TEST_TIERS, tenants: { 'tenant-tiny': 'tiny', 'tenant-tiny-2': 'tiny' } },
      claimStaleSeconds: STALE_SECONDS,
      now: () => new Date(now),
      wrapKnowledgeBase: (inner: KnowledgeBase) =>
        wrapKnowledgeBase(inner, {
          async ingest(document) {
            const { tenantId, projectId, fileId } = document.metadata;
            if (deleteOnIngest.has(fileId)) await h.files.delete({ tenantId, projectId, fileId });
            return inner.ingest(document);
          },
        }),
    });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    now = Date.now();
  });

  const statusOf = async (file: FileRecord) => (await h.files.get(file))?.status;

  it('creates no duplicate chunks when one request is delivered twice at once and again later', async () => {
    const file = await h.addFile('tenant-a', 'sample.html', 'text/html');
    const event = await h.request([file]);
    await Promise.all([h.deliver(event), h.deliver(event)]);
    expect(await statusOf(file)).toBe('ready');
    const chunks = await h.knowledgeBase.countChunks(file.fileId);
    expect(chunks).toBeGreaterThan(1);

    await h.deliver(event, 2);
    const later = await h.request([file]);
    await h.deliver(later);
    await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBe(chunks);
    await expect(h.kbFiles.get(file.fileId)).resolves.toMatchObject({ chunks });
  });

  it('takes over at once a claim left by an earlier receive of the same message', async () => {
    const file = await h.addFile('tenant-a', 'sample.txt', 'text/plain');
    const event = await h.request([file]);
    // The first receive claimed the file, then its worker died.
    const staleBefore = new Date(now - STALE_SECONDS * 1000).toISOString();
    await h.files.claimForIngestion(file, { by: event.id, attempt: 1, staleBefore });

    // Another copy received at the same time is not the redelivery: it leaves the claim alone.
    await h.deliver(event, 1);
    expect(await statusOf(file)).toBe('ingesting');
    await h.deliver(event, 2);
    expect(await statusOf(file)).toBe('ready');
    await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBeGreaterThan(0);
  });

  it("takes over another request's claim only once it is stale", async () => {
    const file = await h.addFile('tenant-a', 'sample.txt', 'text/plain');
    const staleBefore = new Date(now - STALE_SECONDS * 1000).toISOString();
    await h.files.claimForIngestion(file, {
      by: 'a-request-whose-worker-died',
      attempt: 1,
      staleBefore,
    });
    const event = await h.request([file]);

    await h.deliver(event);
    expect(await statusOf(file)).toBe('ingesting');

    now += (STALE_SECONDS + 1) * 1000;
    const retry = await h.request([file]);
    await h.deliver(retry);
    const ready = await h.files.get(file);
    expect(ready).toMatchObject({ status: 'ready', claimedBy: retry.id });
  });

  it('uses the tier of the tenants config, not the one the event claims', async () => {
    const first = await h.addFile('tenant-tiny', 'sample.txt', 'text/plain');
    const files = [
      first,
      await h.addFile('tenant-tiny', 'sample.md', 'text/markdown', first.projectId),
      await h.addFile('tenant-tiny', 'sample.csv', 'text/csv', first.projectId),
    ];
    // Stands in for the worker's queue, to see what is handed on.
    const queued: Array<{ event: EventEnvelope; correlationId: string | undefined }> = [];
    const observer = h.adapters.bus.consume({
      consumer: 'ingestion',
      handler: async ({ event, correlationId }) => void queued.push({ event, correlationId }),
      waitTimeSeconds: 1,
    });
    const requestEvent = await h.request(files, { tier: 'premium' });
    try {
      // Two fit in `tiny`; the third moves to a new message, and this one is acknowledged.
      await h.deliver(requestEvent);
      expect(await Promise.all(files.map(statusOf))).toEqual(['ready', 'ready', 'uploaded']);
      const next = await waitFor('the handed-on request', async () =>
        queued.find(
          ({ event, correlationId }) =>
            event.id !== requestEvent.id && correlationId === `corr-${requestEvent.id}`,
        ),
      );
      expect(next.event).toMatchObject({
        type: 'files.ingest-requested',
        tenantId: 'tenant-tiny',
        data: {
          projectId: first.projectId,
          chatId: requestEvent.data.chatId,
          userId: 'u1',
          tier: 'tiny',
          fileIds: [files[2]!.fileId],
        },
      });
    } finally {
      await observer.stop();
    }
  });

  it('defers a request that nothing of fits while its message has receives to spare', async () => {
    const first = await h.addFile('tenant-tiny-2', 'sample.txt', 'text/plain');
    const second = await h.addFile('tenant-tiny-2', 'sample.md', 'text/markdown', first.projectId);
    await h.deliver(await h.request([first, second]));
    expect([await statusOf(first), await statusOf(second)]).toEqual(['ready', 'ready']);
    // The window (a minute) is full now.
    const file = await h.addFile('tenant-tiny-2', 'sample.csv', 'text/csv');
    const event = await h.request([file]);
    const error = await h.deliver(event, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeferMessageError);
    if (!(error instanceof DeferMessageError)) return;
    expect(error.delaySeconds).toBeGreaterThanOrEqual(1);
    expect(error.delaySeconds).toBeLessThanOrEqual(60);
    expect(await statusOf(file)).toBe('uploaded');

    // Near the dead-letter limit the files move to a fresh message instead.
    await expect(h.deliver(event, MAX_RECEIVE_COUNT - 1)).resolves.toBeUndefined();
    expect(await statusOf(file)).toBe('uploaded');
  });

  it('leaves nothing in the knowledge base of a file deleted during its ingestion', async () => {
    const file = await h.addFile('tenant-a', 'sample.md', 'text/markdown');
    deleteOnIngest.add(file.fileId);
    await h.deliver(await h.request([file]));
    await expect(h.files.get(file)).resolves.toBeUndefined();
    await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBe(0);
    await expect(h.kbFiles.get(file.fileId)).resolves.toBeUndefined();
  });

  it.each([
    ['encrypted.pdf', 'application/pdf', 'the PDF is password-protected'],
    ['no-text.pdf', 'application/pdf', 'the file contains no extractable text'],
    ['empty.txt', 'text/plain', 'the file contains no extractable text'],
  ])('marks %s failed for good', async (fixture, contentType, reason) => {
    const file = await h.addFile('tenant-a', fixture, contentType);
    await h.deliver(await h.request([file]));
    await expect(h.files.get(file)).resolves.toMatchObject({
      status: 'failed',
      failureReason: reason,
    });
  });

  it('marks a file whose object is missing failed', async () => {
    const file = await h.addFile('tenant-a', 'sample.txt', 'text/plain');
    await h.adapters.objects.delete(file.objectKey);
    await h.deliver(await h.request([file]));
    await expect(h.files.get(file)).resolves.toMatchObject({
      status: 'failed',
      failureReason: 'the uploaded file is missing from storage',
    });
  });

  it('skips files that are missing or not uploaded yet', async () => {
    const uploaded = await h.addFile('tenant-a', 'sample.txt', 'text/plain');
    const pending = { ...uploaded, fileId: `${uploaded.fileId}-pending` };
    await h.files.create({
      tenantId: pending.tenantId,
      projectId: pending.projectId,
      fileId: pending.fileId,
      name: 'later.txt',
      contentType: 'text/plain',
      size: 10,
      objectKey: uploaded.objectKey,
    });
    const event = await h.request([pending, { ...pending, fileId: 'no-such-file' }]);
    await h.deliver(event);
    expect(await statusOf(pending)).toBe('pending-upload');
    await expect(h.knowledgeBase.countChunks(pending.fileId)).resolves.toBe(0);
  });
});

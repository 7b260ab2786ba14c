/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import request from 'supertest';
import { AppError, type EventEnvelope, type KnowledgeBase } from '@jitkb/shared';
import { FORMATS, retrieveFromFile } from './formats';
import {
  startEmbeddedHarness,
  TEST_TIERS,
  waitFor,
  wrapKnowledgeBase,
  type Harness,
} from './harness';

const eventsAbout = (events: EventEnvelope[], fileId: string) =>
  events.filter((event) => 'fileId' in event.data && event.data.fileId === fileId);

describe('ingestion worker on the embedded adapters', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startEmbeddedHarness();
    h.startWorker();
  });
  afterAll(() => h.close());

  it.each(FORMATS)(
    'ingests a $fixture file from the queue and retrieves it by its metadata',
    async ({ fixture, contentType, query, expected }) => {
      const file = await h.addFile('tenant-a', fixture, contentType);
      await h.request([file]);
      const ready = await h.waitForStatus(file, 'ready');

      const chunks = await h.knowledgeBase.countChunks(file.fileId);
      expect(chunks).toBeGreaterThan(0);
      const record = await h.kbFiles.get(file.fileId);
      expect(record).toMatchObject({ tenantId: 'tenant-a', projectId: file.projectId, chunks });
      // The tier's TTL from now, and the file's expiresAt is the same instant.
      const ttlSeconds = TEST_TIERS.tiers.standard!.ttlSeconds;
      expect(record!.ttl).toBeGreaterThan(Date.now() / 1000 + ttlSeconds - 60);
      expect(ready.expiresAt).toBe(new Date(record!.ttl * 1000).toISOString());

      const found = await retrieveFromFile(h.knowledgeBase, h.kbFiles, ready, query);
      expect(found.some((chunk) => chunk.text.includes(expected))).toBe(true);
      expect(found.every((chunk) => chunk.fileId === file.fileId)).toBe(true);
      expect(found[0]?.fileName).toBe(fixture);

      const ingested = await waitFor('file.ingested', async () =>
        eventsAbout(h.events, file.fileId).find((event) => event.type === 'file.ingested'),
      );
      expect(ingested).toMatchObject({
        tenantId: 'tenant-a',
        data: { projectId: file.projectId, chunks, expiresAt: ready.expiresAt },
      });
    },
  );

  it('marks a corrupt pdf failed with its reason and publishes file.ingest-failed', async () => {
    const file = await h.addFile('tenant-a', 'corrupt.pdf', 'application/pdf');
    await h.request([file]);
    const failed = await h.waitForStatus(file, 'failed');
    expect(failed.failureReason).toBe('the PDF file is damaged or not a PDF');
    const event = await waitFor('file.ingest-failed', async () =>
      eventsAbout(h.events, file.fileId).find((e) => e.type === 'file.ingest-failed'),
    );
    expect(event.data).toEqual({
      projectId: file.projectId,
      fileId: file.fileId,
      reason: 'the PDF file is damaged or not a PDF',
    });
    await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBe(0);
    await expect(h.kbFiles.get(file.fileId)).resolves.toBeUndefined();
    await expect(h.adapters.bus.deadLetterDepth('ingestion')).resolves.toBe(0);
  });

  it('ingests a file once when the same request arrives twice and a second one follows', async () => {
    const file = await h.addFile('tenant-a', 'sample.md', 'text/markdown');
    const first = await h.request([file]);
    // A duplicate delivery of the same event, and another chat asking for the same file.
    await h.request([file], { id: first.id });
    const second = await h.request([file]);
    await h.waitForStatus(file, 'ready');
    await waitFor('all three requests handled', async () =>
      h.handled.filter((e) => e.id === first.id || e.id === second.id).length >= 3
        ? true
        : undefined,
    );
    const chunks = await h.knowledgeBase.countChunks(file.fileId);
    await expect(h.kbFiles.get(file.fileId)).resolves.toMatchObject({ chunks });
    const ingested = eventsAbout(h.events, file.fileId).filter((e) => e.type === 'file.ingested');
    expect(ingested).toHaveLength(1);
  });

  it('serves health, readiness with the knowledge base, and ingestion metrics', async () => {
    await request(h.service.app).get('/healthz').expect(200);
    const ready = await request(h.service.app).get('/readyz').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'knowledge-base', ok: true },
        { name: 'tables', ok: true },
      ],
    });
    const metrics = await request(h.service.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/jitkb_ingestion_files_total\{[^}]*tier="standard"[^}]*\} [1-9]/);
    expect(metrics.text).toMatch(/jitkb_ingestion_chunks_total\{[^}]*\} [1-9]/);
    expect(metrics.text).toMatch(
      /jitkb_ingestion_failures_total\{[^}]*reason="extraction-failed"[^}]*\} 1/,
    );
    expect(metrics.text).toContain('jitkb_ingestion_file_duration_seconds_bucket');
  });
});

describe('ingestion worker under failures', () => {
  it('brings a message back after a transient knowledge-base error and then ingests', async () => {
    let failures = 0;
    const h = await startEmbeddedHarness({
      wrapKnowledgeBase: (inner: KnowledgeBase) =>
        wrapKnowledgeBase(inner, {
          async ingest(document) {
            failures += 1;
            if (failures === 1) throw new AppError('unavailable', 'knowledge base busy');
            return inner.ingest(document);
          },
        }),
    });
    try {
      h.startWorker();
      const file = await h.addFile('tenant-b', 'sample.txt', 'text/plain');
      await h.request([file]);
      // The first receive left the file `ingesting` under its claim; the redelivery took it over.
      await h.waitForStatus(file, 'ready');
      expect(failures).toBe(2);
      await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBeGreaterThan(0);
      const metrics = await h.metrics.registry.getSingleMetricAsString(
        'jitkb_ingestion_failures_total',
      );
      expect(metrics).toMatch(/reason="transient"[^}]*\} 1/);
    } finally {
      await h.close();
    }
  });

  it('defers rate-limited files instead of dropping them: three files at two per window', async () => {
    const h = await startEmbeddedHarness({
      // The tenants config puts the tenant in `tiny`, whatever tier the event claims.
      tiers: { ...TEST_TIERS, tenants: { 'tenant-tiny': 'tiny' } },
      limitWindowSeconds: 2,
    });
    try {
      h.startWorker();
      const first = await h.addFile('tenant-tiny', 'sample.txt', 'text/plain');
      const files = [
        first,
        await h.addFile('tenant-tiny', 'sample.md', 'text/markdown', first.projectId),
        await h.addFile('tenant-tiny', 'sample.csv', 'text/csv', first.projectId),
      ];
      await h.request(files, { tier: 'premium' });
      for (const file of files) await h.waitForStatus(file, 'ready', 30_000);
      await expect(h.adapters.bus.deadLetterDepth('ingestion')).resolves.toBe(0);
      const throttled = await h.metrics.registry.getSingleMetricAsString(
        'jitkb_ingestion_throttled_total',
      );
      expect(throttled).toMatch(/tier="tiny"[^}]*\} [1-9]/);
    } finally {
      await h.close();
    }
  });
});

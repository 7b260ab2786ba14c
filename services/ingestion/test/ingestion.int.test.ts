/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import type { EventEnvelope } from '@jitkb/shared';
import { FORMATS, retrieveFromFile } from './formats';
import { startAwsHarness, waitFor, type Harness } from './harness';

const eventsAbout = (events: EventEnvelope[], fileId: string) =>
  events.filter((event) => 'fileId' in event.data && event.data.fileId === fileId);

describe('ingestion worker on SNS/SQS, DynamoDB and S3 (moto)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startAwsHarness();
    h.startWorker();
  }, 60_000);
  afterAll(() => h.close());

  it.each(FORMATS)(
    'ingests a $fixture file from the queue and retrieves it by its metadata',
    async ({ fixture, contentType, query, expected }) => {
      const file = await h.addFile('tenant-aws', fixture, contentType);
      await h.request([file]);
      const ready = await h.waitForStatus(file, 'ready');
      const chunks = await h.knowledgeBase.countChunks(file.fileId);
      expect(chunks).toBeGreaterThan(0);
      await expect(h.kbFiles.get(file.fileId)).resolves.toMatchObject({
        tenantId: 'tenant-aws',
        projectId: file.projectId,
        chunks,
      });
      const found = await retrieveFromFile(h.knowledgeBase, h.kbFiles, ready, query);
      expect(found.some((chunk) => chunk.text.includes(expected))).toBe(true);
      const ingested = await waitFor('file.ingested', async () =>
        eventsAbout(h.events, file.fileId).find((event) => event.type === 'file.ingested'),
      );
      expect(ingested.data).toMatchObject({ chunks, expiresAt: ready.expiresAt });
    },
  );

  it('ingests a file once when the same request arrives twice', async () => {
    const file = await h.addFile('tenant-aws', 'sample.html', 'text/html');
    const first = await h.request([file]);
    await h.request([file], { id: first.id });
    await h.waitForStatus(file, 'ready');
    await waitFor('both copies handled', async () =>
      h.handled.filter((e) => e.id === first.id).length >= 2 ? true : undefined,
    );
    const chunks = await h.knowledgeBase.countChunks(file.fileId);
    expect(chunks).toBeGreaterThan(1);
    await expect(h.kbFiles.get(file.fileId)).resolves.toMatchObject({ chunks });
    const ingested = eventsAbout(h.events, file.fileId).filter((e) => e.type === 'file.ingested');
    expect(ingested).toHaveLength(1);
  });

  it('marks a corrupt pdf failed and publishes file.ingest-failed', async () => {
    const file = await h.addFile('tenant-aws', 'corrupt.pdf', 'application/pdf');
    await h.request([file]);
    const failed = await h.waitForStatus(file, 'failed');
    expect(failed.failureReason).toBe('the PDF file is damaged or not a PDF');
    await waitFor('file.ingest-failed', async () =>
      eventsAbout(h.events, file.fileId).find((e) => e.type === 'file.ingest-failed'),
    );
    await expect(h.knowledgeBase.countChunks(file.fileId)).resolves.toBe(0);
  });
});

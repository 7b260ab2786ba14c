import { createEvent, objectKey, type EventEnvelope } from '@jitkb/shared';
import { eventually, startHarness, type Harness } from './harness';

describe('project queue handlers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  /** A project with one uploaded file, as the ingestion worker would find it. */
  async function uploadedFile(tenant: string): Promise<{ projectId: string; fileId: string }> {
    const project = await h.as(tenant).post('/v1/projects', { name: 'p' }).expect(201);
    const projectId = (project.body as { id: string }).id;
    const file = await h
      .as(tenant)
      .post(`/v1/projects/${projectId}/files`, {
        name: 'a.txt',
        contentType: 'text/plain',
        size: 2,
      })
      .expect(201);
    const fileId = (file.body as { id: string }).id;
    await h.adapters.objects.put(
      objectKey(tenant, projectId, fileId),
      Buffer.from('hi'),
      'text/plain',
    );
    await h.as(tenant).post(`/v1/projects/${projectId}/files/${fileId}/complete`).expect(200);
    return { projectId, fileId };
  }

  const deliver = (event: EventEnvelope) =>
    h.service.handleEvent({ event, receiveCount: 1, correlationId: undefined });

  async function statusOf(tenant: string, projectId: string) {
    const list = await h.as(tenant).get(`/v1/projects/${projectId}/files`).expect(200);
    return (
      list.body as {
        items: Array<{ status: string; expiresAt: string | null; failureReason?: string }>;
      }
    ).items[0];
  }

  it('marks a file ready on file.ingested, idempotently', async () => {
    const { projectId, fileId } = await uploadedFile('ing');
    const expiresAt = '2030-01-01T00:00:00.000Z';
    const event = createEvent('file.ingested', 'ing', { projectId, fileId, chunks: 4, expiresAt });
    await deliver(event);
    await deliver(event);
    await expect(statusOf('ing', projectId)).resolves.toMatchObject({ status: 'ready', expiresAt });
  });

  it('marks a file failed on file.ingest-failed, but never a ready one', async () => {
    const { projectId, fileId } = await uploadedFile('fail');
    const failed = createEvent('file.ingest-failed', 'fail', {
      projectId,
      fileId,
      reason: 'no text',
    });
    await deliver(failed);
    await deliver(failed);
    await expect(statusOf('fail', projectId)).resolves.toMatchObject({
      status: 'failed',
      failureReason: 'no text',
    });

    const other = await uploadedFile('fail-late');
    const expiresAt = '2030-01-01T00:00:00.000Z';
    await deliver(createEvent('file.ingested', 'fail-late', { ...other, chunks: 1, expiresAt }));
    await deliver(createEvent('file.ingest-failed', 'fail-late', { ...other, reason: 'late' }));
    await expect(statusOf('fail-late', other.projectId)).resolves.toMatchObject({
      status: 'ready',
    });
  });

  it("acknowledges an event about another tenant's file without touching it", async () => {
    const { projectId, fileId } = await uploadedFile('victim');
    await deliver(
      createEvent('file.ingest-failed', 'attacker', { projectId, fileId, reason: 'spoofed' }),
    );
    await expect(statusOf('victim', projectId)).resolves.toMatchObject({ status: 'uploaded' });
  });

  it('handles events from its queue on the bus', async () => {
    const { projectId, fileId } = await uploadedFile('bus');
    const consumer = h.adapters.bus.consume({
      consumer: 'project',
      waitTimeSeconds: 0.05,
      handler: h.service.handleEvent,
    });
    try {
      const expiresAt = '2031-01-01T00:00:00.000Z';
      await h.adapters.bus.publish(
        createEvent('file.ingested', 'bus', { projectId, fileId, chunks: 2, expiresAt }),
      );
      await eventually(async () => (await statusOf('bus', projectId))?.status === 'ready', 5000);
    } finally {
      await consumer.stop();
    }
  });
});

import { createEvent, objectKey } from '@jitkb/shared';
import { startHarness, TEST_TIERS, type Harness } from './harness';

describe('GET /v1/tenant', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('reports tier, limits and usage of the caller’s tenant only', async () => {
    const ids: string[] = [];
    for (const name of ['one', 'two']) {
      const response = await h.as('usage', 'premium').post('/v1/projects', { name }).expect(201);
      ids.push((response.body as { id: string }).id);
    }
    const files: string[] = [];
    for (const projectId of [ids[0], ids[0], ids[1]]) {
      const response = await h
        .as('usage', 'premium')
        .post(`/v1/projects/${projectId}/files`, {
          name: 'a.csv',
          contentType: 'text/csv',
          size: 3,
        })
        .expect(201);
      files.push((response.body as { id: string }).id);
    }
    // One file is uploaded and goes live in the knowledge base.
    await h.adapters.objects.put(
      objectKey('usage', ids[0]!, files[0]!),
      Buffer.from('a,b'),
      'text/csv',
    );
    await h.as('usage').post(`/v1/projects/${ids[0]}/files/${files[0]}/complete`).expect(200);
    await h.service.handleEvent({
      event: createEvent('file.ingested', 'usage', {
        projectId: ids[0]!,
        fileId: files[0]!,
        chunks: 1,
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      }),
      receiveCount: 1,
      correlationId: undefined,
    });
    await h.as('bystander').post('/v1/projects', { name: 'elsewhere' }).expect(201);
    h.queryUsage.set('usage', 7);

    const response = await h.as('usage', 'premium').get('/v1/tenant').expect(200);
    expect(response.body).toEqual({
      tenantId: 'usage',
      tier: 'premium',
      limits: TEST_TIERS.tiers.premium,
      usage: { projects: 2, files: 3, liveFiles: 1, queriesThisMinute: 7 },
    });
  });

  it('falls back to the default tier for a tier this service does not know', async () => {
    const response = await h.as('odd', 'platinum').get('/v1/tenant').expect(200);
    expect(response.body).toMatchObject({
      tier: 'free',
      limits: TEST_TIERS.tiers.free,
      usage: { projects: 0, files: 0, liveFiles: 0, queriesThisMinute: 0 },
    });
  });
});

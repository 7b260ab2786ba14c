/**
 * Projects and files end to end, through the gateway over HTTP with real tokens, on both adapter
 * families: sign-in, project and file lifecycle with real uploads, tier limits, the query rate
 * limit, tenant isolation, and services that verify tokens themselves.
 */
import { fileList, fileView, projectList, projectView } from '@jitkb/shared';
import { call, client, expectProblem, signWithIssuerKey, tamper, uploadThrough } from './client';
import { startSystem, type System } from './system';

const TIERS = JSON.stringify({
  free: {
    maxFilesPerProject: 5,
    ttlSeconds: 3600,
    maxFileBytes: 10_000_000,
    queriesPerMinute: 10,
    ingestJobsPerMinute: 60,
  },
  tiny: {
    maxFilesPerProject: 2,
    ttlSeconds: 3600,
    maxFileBytes: 1000,
    queriesPerMinute: 2,
    ingestJobsPerMinute: 60,
  },
});

const TEXT = Buffer.from('The harbour opens at six in the morning.\n');

let tenantCounter = 0;
/** A tenant of its own per test, so that counters and listings never mix. */
const newTenant = (label: string) => `${label}-${Date.now().toString(36)}-${++tenantCounter}`;

describe.each(['embedded', 'aws'] as const)('projects through the gateway (%s)', (mode) => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ mode, env: { TIERS }, label: `projects-${mode}` });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 30_000);

  describe('sign-in', () => {
    it('accepts a token from the dev issuer', async () => {
      const token = await system.token(newTenant('signin'), 'alice');
      const reply = await call(system.url, token, 'GET', '/v1/projects');
      expect(reply.status).toBe(200);
      expect(projectList.parse(reply.body).items).toEqual([]);
    });

    it('answers 401 problem+json without a token', async () => {
      expectProblem(await call(system.url, null, 'GET', '/v1/projects'), 401);
    });

    it('answers 401 to a token whose claims were changed after signing', async () => {
      const token = await system.token(newTenant('tamper'), 'alice');
      const forged = tamper(token, { 'custom:tenantId': newTenant('victim') });
      expectProblem(await call(system.url, forged, 'GET', '/v1/projects'), 401);
    });

    it('answers 401 to an expired token signed by the issuer itself', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = await signWithIssuerKey(system, {
        sub: 'alice',
        'custom:tenantId': newTenant('expired'),
        iat: now - 3600,
        exp: now - 600,
      });
      const reply = await call(system.url, expired, 'GET', '/v1/projects');
      expectProblem(reply, 401);
      expect(reply.body).toMatchObject({ detail: 'the token has expired' });
    });

    it('lets no request reach the project service without a token', async () => {
      expectProblem(await call(system.services.project, null, 'GET', '/v1/projects'), 401);
      expectProblem(
        await call(system.services.project, null, 'POST', '/v1/projects', { name: 'sneaky' }),
        401,
      );
    });
  });

  it('creates, lists, gets and deletes a project', async () => {
    const { api } = client(system, await system.token(newTenant('crud'), 'alice'));

    const created = await api('POST', '/v1/projects', { name: 'Harbour notes' });
    expect(created.status).toBe(201);
    const project = projectView.parse(created.body);
    expect(project).toMatchObject({ name: 'Harbour notes', ownerId: 'alice', fileCount: 0 });

    const list = await api('GET', '/v1/projects');
    expect(list.status).toBe(200);
    expect(projectList.parse(list.body).items.map((p) => p.id)).toEqual([project.id]);

    const got = await api('GET', `/v1/projects/${project.id}`);
    expect(got.status).toBe(200);
    expect(projectView.parse(got.body)).toEqual(project);

    expect((await api('DELETE', `/v1/projects/${project.id}`)).status).toBe(204);
    expectProblem(await api('GET', `/v1/projects/${project.id}`), 404);
    expect(projectList.parse((await api('GET', '/v1/projects')).body).items).toEqual([]);
  });

  it('uploads a file through its target, then completes and lists it', async () => {
    const { api, createProject } = client(system, await system.token(newTenant('up'), 'alice'));
    const projectId = await createProject('Uploads');

    const created = await api('POST', `/v1/projects/${projectId}/files`, {
      name: 'notes.txt',
      contentType: 'text/plain',
      size: TEXT.length,
    });
    expect(created.status).toBe(201);
    const { upload, ...file } = created.body as { upload: Parameters<typeof uploadThrough>[0] };
    expect(file).toMatchObject({ name: 'notes.txt', status: 'pending-upload' });
    // The embedded store signs its own PUT route; S3 (moto here) takes a presigned POST.
    expect(upload.method).toBe(mode === 'embedded' ? 'PUT' : 'POST');
    const fileId = fileView.parse(file).id;

    // Nothing stored yet: completing is refused.
    expectProblem(
      await api('POST', `/v1/projects/${projectId}/files/${fileId}/complete`),
      409,
      'upload-incomplete',
    );

    expect(await uploadThrough(upload, TEXT)).toBeLessThan(300);
    const completed = await api('POST', `/v1/projects/${projectId}/files/${fileId}/complete`);
    expect(completed.status).toBe(200);
    expect(fileView.parse(completed.body)).toMatchObject({ id: fileId, status: 'uploaded' });

    const listed = await api('GET', `/v1/projects/${projectId}/files`);
    expect(listed.status).toBe(200);
    expect(fileList.parse(listed.body).items).toEqual([
      expect.objectContaining({
        id: fileId,
        name: 'notes.txt',
        contentType: 'text/plain',
        size: TEXT.length,
        status: 'uploaded',
        expiresAt: null,
      }),
    ]);

    expect((await api('DELETE', `/v1/projects/${projectId}/files/${fileId}`)).status).toBe(204);
    expect(
      fileList.parse((await api('GET', `/v1/projects/${projectId}/files`)).body).items,
    ).toEqual([]);
  });

  it("enforces the tier's file size, file type and file count", async () => {
    const { api, createProject, uploadFile } = client(
      system,
      await system.token(newTenant('limits'), 'alice', 'tiny'),
    );
    const projectId = await createProject('Small');
    const files = `/v1/projects/${projectId}/files`;

    expectProblem(
      await api('POST', files, { name: 'big.txt', contentType: 'text/plain', size: 1001 }),
      413,
      'file-too-large',
    );
    expectProblem(
      await api('POST', files, { name: 'photo.png', contentType: 'image/png', size: 10 }),
      415,
      'unsupported-file-type',
    );

    await uploadFile(projectId, 'one.txt', 'text/plain', TEXT);
    await uploadFile(projectId, 'two.md', 'text/markdown', Buffer.from('# Two\n'));
    expectProblem(
      await api('POST', files, { name: 'three.txt', contentType: 'text/plain', size: 10 }),
      409,
      'limit-exceeded',
    );
    // The refused requests took no slot.
    expect(fileList.parse((await api('GET', files)).body).items).toHaveLength(2);
  });

  it("answers 429 with Retry-After once the tier's questions per minute are spent", async () => {
    const { api } = client(system, await system.token(newTenant('rate'), 'alice', 'tiny'));
    const ask = () => api('POST', '/v1/chats/no-such-chat/messages', { question: 'Anyone?' });

    // The gateway counts the question before the chat service sees it (which answers 404 here).
    expect((await ask()).status).not.toBe(429);
    expect((await ask()).status).not.toBe(429);
    const refused = await ask();
    expectProblem(refused, 429, 'rate-limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);

    // Another tenant of the same tier has its own counter.
    const other = client(system, await system.token(newTenant('rate'), 'bob', 'tiny'));
    const reply = await other.api('POST', '/v1/chats/no-such-chat/messages', { question: 'Hi?' });
    expect(reply.status).not.toBe(429);
  });

  it('answers 404 to another tenant on every route of a project and its files', async () => {
    const a = client(system, await system.token(newTenant('a'), 'alice'));
    const b = client(system, await system.token(newTenant('b'), 'bob'));
    const projectId = await a.createProject('Private');
    const file = await a.uploadFile(projectId, 'secret.txt', 'text/plain', TEXT);
    const project = `/v1/projects/${projectId}`;

    expect(projectList.parse((await b.api('GET', '/v1/projects')).body).items).toEqual([]);
    const attempts: Array<[Parameters<typeof b.api>[0], string, unknown?]> = [
      ['GET', project],
      ['GET', `${project}/files`],
      ['POST', `${project}/files`, { name: 'x.txt', contentType: 'text/plain', size: 10 }],
      ['POST', `${project}/files/${file.id}/complete`],
      ['DELETE', `${project}/files/${file.id}`],
      ['DELETE', project],
    ];
    for (const [method, path, body] of attempts) {
      const reply = await b.api(method, path, body);
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 404 });
      expectProblem(reply, 404);
    }

    // Tenant A's project and file are untouched.
    expect(projectView.parse((await a.api('GET', project)).body).fileCount).toBe(1);
    expect(fileList.parse((await a.api('GET', `${project}/files`)).body).items).toEqual([
      expect.objectContaining({ id: file.id, status: 'uploaded' }),
    ]);
  });
});

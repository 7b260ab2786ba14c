import { objectKey, type UploadTarget } from '@jitkb/shared';
import { eventually, startHarness, type Harness } from './harness';

interface CreatedFile {
  id: string;
  name: string;
  status: string;
  contentType: string;
  upload: UploadTarget;
}

const TEXT = Buffer.from('hello world');

describe('file routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function newProject(tenant: string, tier = 'free'): Promise<string> {
    const response = await h.as(tenant, tier).post('/v1/projects', { name: 'p' }).expect(201);
    return (response.body as { id: string }).id;
  }

  async function createFile(
    tenant: string,
    projectId: string,
    body: object = { name: 'notes.txt', contentType: 'text/plain', size: TEXT.length },
  ): Promise<CreatedFile> {
    const response = await h.as(tenant).post(`/v1/projects/${projectId}/files`, body).expect(201);
    return response.body as CreatedFile;
  }

  const fileCount = async (tenant: string, projectId: string) =>
    (
      (await h.as(tenant).get(`/v1/projects/${projectId}`).expect(200)).body as {
        fileCount: number;
      }
    ).fileCount;

  it('creates a pending file with an upload target bound to its type', async () => {
    const projectId = await newProject('up');
    const file = await createFile('up', projectId, {
      name: 'a/b\\notes.txt',
      contentType: 'Text/Plain; charset=utf-8',
      size: TEXT.length,
    });
    expect(file).toMatchObject({
      name: 'abnotes.txt',
      status: 'pending-upload',
      contentType: 'text/plain',
    });
    expect(file.upload).toMatchObject({
      method: expect.stringMatching(/PUT|POST/) as unknown,
      url: expect.any(String) as unknown,
    });
    expect(file.upload.url).not.toContain('notes');
    expect(await fileCount('up', projectId)).toBe(1);
  });

  it('completes an upload once the stored object matches', async () => {
    const projectId = await newProject('done');
    const file = await createFile('done', projectId);
    const early = await h
      .as('done')
      .post(`/v1/projects/${projectId}/files/${file.id}/complete`)
      .expect(409);
    expect(early.body).toMatchObject({
      type: expect.stringContaining('upload-incomplete') as unknown,
    });
    expect(await h.upload(file.upload, TEXT)).toBeLessThan(300);
    const done = await h
      .as('done')
      .post(`/v1/projects/${projectId}/files/${file.id}/complete`)
      .expect(200);
    expect(done.body).toMatchObject({ id: file.id, status: 'uploaded', size: TEXT.length });
    // Completing again answers the file as it is.
    await h.as('done').post(`/v1/projects/${projectId}/files/${file.id}/complete`).expect(200);
  });

  it('refuses to complete when the stored size or type differs from the declared one', async () => {
    const projectId = await newProject('liar');
    const small = await createFile('liar', projectId, {
      name: 'a.txt',
      contentType: 'text/plain',
      size: 500,
    });
    await h.adapters.objects.put(objectKey('liar', projectId, small.id), TEXT, 'text/plain');
    const sized = await h
      .as('liar')
      .post(`/v1/projects/${projectId}/files/${small.id}/complete`)
      .expect(409);
    expect((sized.body as { detail: string }).detail).toMatch(
      /11 bytes, but 500 bytes were declared/,
    );

    const typed = await createFile('liar', projectId);
    await h.adapters.objects.put(objectKey('liar', projectId, typed.id), TEXT, 'text/html');
    const wrong = await h
      .as('liar')
      .post(`/v1/projects/${projectId}/files/${typed.id}/complete`)
      .expect(409);
    expect((wrong.body as { detail: string }).detail).toMatch(
      /text\/html, but text\/plain was declared/,
    );

    const list = await h.as('liar').get(`/v1/projects/${projectId}/files`).expect(200);
    const statuses = (list.body as { items: Array<{ status: string }> }).items.map((f) => f.status);
    expect(statuses).toEqual(['pending-upload', 'pending-upload']);
  });

  it('answers 415 for a type outside the supported ones', async () => {
    const projectId = await newProject('types');
    const response = await h
      .as('types')
      .post(`/v1/projects/${projectId}/files`, {
        name: 'a.exe',
        contentType: 'application/x-msdownload',
        size: 10,
      })
      .expect(415);
    expect(response.body).toMatchObject({
      supportedTypes: expect.arrayContaining(['application/pdf']) as unknown,
    });
    expect(await fileCount('types', projectId)).toBe(0);
  });

  it("answers 413 for a file over the tier's size", async () => {
    const projectId = await newProject('big');
    const body = { name: 'big.pdf', contentType: 'application/pdf', size: 1001 };
    await h.as('big').post(`/v1/projects/${projectId}/files`, body).expect(413);
    await h.as('big', 'premium').post(`/v1/projects/${projectId}/files`, body).expect(201);
    expect(await fileCount('big', projectId)).toBe(1);
  });

  it('answers 409 limit-exceeded at the tier’s file limit, also under concurrency', async () => {
    const projectId = await newProject('many');
    const body = { name: 'n.md', contentType: 'text/markdown', size: 10 };
    const statuses = await Promise.all(
      Array.from(
        { length: 6 },
        async () => (await h.as('many').post(`/v1/projects/${projectId}/files`, body)).status,
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(2);
    expect(statuses.filter((s) => s === 409)).toHaveLength(4);
    const response = await h.as('many').post(`/v1/projects/${projectId}/files`, body).expect(409);
    expect(response.body).toMatchObject({
      type: expect.stringMatching(/limit-exceeded$/) as unknown,
      maxFilesPerProject: 2,
    });
    const list = await h.as('many').get(`/v1/projects/${projectId}/files`).expect(200);
    expect((list.body as { items: unknown[] }).items).toHaveLength(2);
  });

  it('deletes a file: object, record and slot, and tells the janitor', async () => {
    const projectId = await newProject('rm');
    const file = await createFile('rm', projectId);
    await h.upload(file.upload, TEXT);
    await h.as('rm').post(`/v1/projects/${projectId}/files/${file.id}/complete`).expect(200);
    await h.as('rm').delete(`/v1/projects/${projectId}/files/${file.id}`).expect(204);
    await expect(
      h.adapters.objects.head(objectKey('rm', projectId, file.id)),
    ).resolves.toBeUndefined();
    await h.as('rm').delete(`/v1/projects/${projectId}/files/${file.id}`).expect(404);
    expect(await fileCount('rm', projectId)).toBe(0);
    const list = await h.as('rm').get(`/v1/projects/${projectId}/files`).expect(200);
    expect(list.body).toEqual({ items: [] });
    await eventually(() =>
      h.janitorEvents.some((e) => e.type === 'file.expired' && e.data.fileId === file.id),
    );
  });

  it("answers 404 for another tenant's file on every route", async () => {
    const projectId = await newProject('holder');
    const file = await createFile('holder', projectId);
    await h.upload(file.upload, TEXT);
    const other = h.as('snoop');
    const otherProject = await newProject('snoop');
    await other.post(`/v1/projects/${projectId}/files/${file.id}/complete`).expect(404);
    await other.delete(`/v1/projects/${projectId}/files/${file.id}`).expect(404);
    await other.get(`/v1/projects/${projectId}/files`).expect(404);
    // The file id under the intruder's own project is no way in either.
    await other.post(`/v1/projects/${otherProject}/files/${file.id}/complete`).expect(404);
    await other.delete(`/v1/projects/${otherProject}/files/${file.id}`).expect(404);
    await expect(
      h.adapters.objects.head(objectKey('holder', projectId, file.id)),
    ).resolves.toBeDefined();
    const list = await h.as('holder').get(`/v1/projects/${projectId}/files`).expect(200);
    expect((list.body as { items: Array<{ status: string }> }).items).toMatchObject([
      { status: 'pending-upload' },
    ]);
  });

  describe('bad input changes nothing', () => {
    const cases: Array<[string, unknown, number]> = [
      [
        'an unknown field',
        { name: 'a.txt', contentType: 'text/plain', size: 5, objectKey: 'x' },
        400,
      ],
      ['a negative size', { name: 'a.txt', contentType: 'text/plain', size: -1 }, 400],
      ['a fractional size', { name: 'a.txt', contentType: 'text/plain', size: 1.5 }, 400],
      ['a size as a string', { name: 'a.txt', contentType: 'text/plain', size: '5' }, 400],
      ['a missing type', { name: 'a.txt', size: 5 }, 400],
      ['a name of path separators only', { name: '//', contentType: 'text/plain', size: 5 }, 400],
    ];
    it.each(cases)('answers %s', async (_label, body, status) => {
      const projectId = await newProject('sloppy');
      const response = await h.as('sloppy').post(`/v1/projects/${projectId}/files`, body);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(await fileCount('sloppy', projectId)).toBe(0);
    });

    it('answers 400 for a body on complete and for invalid ids', async () => {
      const projectId = await newProject('sloppy');
      const file = await createFile('sloppy', projectId);
      await h.upload(file.upload, TEXT);
      await h
        .as('sloppy')
        .post(`/v1/projects/${projectId}/files/${file.id}/complete`, { force: true })
        .expect(400);
      await h.as('sloppy').post(`/v1/projects/${projectId}/files/..%2F..%2Fx/complete`).expect(400);
      await h.as('sloppy').delete(`/v1/projects/${projectId}/files/a%20b`).expect(400);
      const list = await h.as('sloppy').get(`/v1/projects/${projectId}/files`).expect(200);
      expect((list.body as { items: Array<{ status: string }> }).items).toMatchObject([
        { status: 'pending-upload' },
      ]);
    });
  });
});

import { eventually, startHarness, type Harness } from './harness';

describe('project routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function createProject(tenant: string, name = 'Handbook'): Promise<string> {
    const response = await h.as(tenant).post('/v1/projects', { name }).expect(201);
    return (response.body as { id: string }).id;
  }

  it('creates a project and returns it with its id', async () => {
    const response = await h.as('acme').post('/v1/projects', { name: 'Handbook' }).expect(201);
    expect(response.body).toEqual({
      id: expect.any(String) as unknown,
      name: 'Handbook',
      ownerId: 'user-of-acme',
      fileCount: 0,
      createdAt: expect.any(String) as unknown,
    });
    const id = (response.body as { id: string }).id;
    await h.as('acme').get(`/v1/projects/${id}`).expect(200, response.body);
  });

  it('cleans the name for display', async () => {
    const response = await h
      .as('acme')
      .post('/v1/projects', { name: '  ../etc/\u0000pass\u202ewd\n  plans ' })
      .expect(201);
    expect((response.body as { name: string }).name).toBe('..etcpasswd plans');
  });

  it('drops lone surrogates from the name', async () => {
    const response = await h
      .as('acme')
      .post('/v1/projects', { name: 'half\uD800 a \uDFFFpair \u{1F600}' })
      .expect(201);
    expect((response.body as { name: string }).name).toBe('half a pair \u{1F600}');
  });

  it('refuses a name that is empty once cleaned', async () => {
    const response = await h.as('acme').post('/v1/projects', { name: '/\u0007 ' }).expect(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('lists only the caller’s projects', async () => {
    const mine = await createProject('list-a', 'Mine');
    await createProject('list-b', 'Theirs');
    const response = await h.as('list-a').get('/v1/projects').expect(200);
    expect((response.body as { items: Array<{ id: string }> }).items.map((p) => p.id)).toEqual([
      mine,
    ]);
  });

  it("answers 404 for another tenant's project on every route", async () => {
    const id = await createProject('owner');
    const other = h.as('intruder');
    await other.get(`/v1/projects/${id}`).expect(404);
    await other.delete(`/v1/projects/${id}`).expect(404);
    await other.get(`/v1/projects/${id}/files`).expect(404);
    await other
      .post(`/v1/projects/${id}/files`, { name: 'a.txt', contentType: 'text/plain', size: 5 })
      .expect(404);
    await h.as('owner').get(`/v1/projects/${id}`).expect(200);
    expect(h.janitorEvents.filter((e) => e.tenantId === 'intruder')).toEqual([]);
  });

  it('deletes a project and tells the janitor', async () => {
    const id = await createProject('deleter');
    await h.as('deleter').delete(`/v1/projects/${id}`).expect(204);
    await h.as('deleter').get(`/v1/projects/${id}`).expect(404);
    await h.as('deleter').delete(`/v1/projects/${id}`).expect(404);
    await eventually(() =>
      h.janitorEvents.some((e) => e.type === 'project.deleted' && e.data.projectId === id),
    );
    const deleted = h.janitorEvents.filter((e) => e.type === 'project.deleted');
    expect(deleted.find((e) => e.data.projectId === id)?.tenantId).toBe('deleter');
  });

  it('requires a caller', async () => {
    const response = await h.as('').get('/v1/projects').expect(401);
    expect(response.body).toMatchObject({ status: 401 });
  });

  describe('bad input changes nothing', () => {
    const tenant = 'careless';
    const cases: Array<
      [string, (post: () => import('supertest').Test) => import('supertest').Test, number]
    > = [
      [
        'malformed JSON',
        (post) => post().set('content-type', 'application/json').send('{"name":'),
        400,
      ],
      ['an unknown field', (post) => post().send({ name: 'x', owner: 'me' }), 400],
      ['a wrong type', (post) => post().send({ name: 42 }), 400],
      ['a missing field', (post) => post().send({}), 400],
      ['a JSON array', (post) => post().send([{ name: 'x' }]), 400],
      ['a body over the limit', (post) => post().send({ name: 'x'.repeat(70_000) }), 413],
      [
        'a body that is not JSON',
        (post) => post().set('content-type', 'text/plain').send('name=x'),
        415,
      ],
    ];

    it.each(cases)('answers %s with problem+json', async (_label, send, status) => {
      const response = await send(() => h.as(tenant).post('/v1/projects'));
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body).toMatchObject({ status, type: expect.any(String) as unknown });
      const list = await h.as(tenant).get('/v1/projects').expect(200);
      expect(list.body).toEqual({ items: [] });
    });

    it('answers 400 for an id that is not an id', async () => {
      await h.as(tenant).get('/v1/projects/a.b').expect(400);
      await h
        .as(tenant)
        .delete(`/v1/projects/${'x'.repeat(200)}`)
        .expect(400);
    });
  });
});

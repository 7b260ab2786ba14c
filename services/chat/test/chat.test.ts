/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import { NO_ANSWER, type AnswerView, type ChatView, type FileRecord } from '@jitkb/shared';
import { parseSse, startHarness, waitFor, type Harness } from './harness';

const KETTLE = `# Zephyr kettle manual

The Zephyr kettle boils one litre of water in three minutes. Its base rotates freely.

## Warranty

The Zephyr kettle comes with a two-year warranty from the date of purchase.
The warranty does not cover limescale damage or a cracked lid.

## Cleaning

Descale the kettle every month with white vinegar.`;

const TOASTER = `Brava toaster guide.
The Brava toaster has four slots and seven browning levels.
The Brava toaster warranty lasts one year.
The warranty does not cover a bent crumb tray.
Empty the crumb tray every week.`;

const TRAVEL = `Travel expense policy.
Employees travelling abroad receive a daily meal allowance of 45 euros.
Hotel bookings go through the travel desk.`;

describe('chat service on the embedded adapters', () => {
  let h: Harness;
  let token: string;
  let kettle: FileRecord;
  let toaster: FileRecord;
  let travel: FileRecord;
  let chat: ChatView;
  const tenant = 'acme';
  const project = 'manuals';

  beforeAll(async () => {
    h = await startHarness();
    token = await h.token(tenant, 'standard');
    kettle = await h.addFile(tenant, project, 'kettle-manual.md', KETTLE);
    toaster = await h.addFile(tenant, project, 'toaster-guide.txt', TOASTER);
    travel = await h.addFile(tenant, project, 'travel-policy.txt', TRAVEL);
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  const ask = (chatId: string, question: string) =>
    h.api(token).post(`/v1/chats/${chatId}/messages`, { question });
  const waitUntilReady = (chatId: string) =>
    waitFor('the chat to be ready', async () => {
      const res = await h.api(token).get(`/v1/chats/${chatId}`).expect(200);
      const view = res.body as ChatView;
      return view.status === 'ready' ? view : undefined;
    });

  it('starts a chat on every uploaded file and asks for their ingestion', async () => {
    const res = await h.api(token).post(`/v1/projects/${project}/chats`).expect(201);
    chat = res.body as ChatView;
    expect(chat).toMatchObject({ projectId: project, status: 'preparing' });
    expect(chat.files.map((f) => f.name).sort()).toEqual([
      'kettle-manual.md',
      'toaster-guide.txt',
      'travel-policy.txt',
    ]);
    expect(chat.files.every((f) => f.status === 'uploaded')).toBe(true);
  });

  it('refuses a question with 409 and the readiness while the chat is preparing', async () => {
    const res = await ask(chat.id, 'How long is the warranty?').expect(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 409,
      type: 'https://jitkb.dev/problems/chat-not-ready',
      chat: { id: chat.id, status: 'preparing' },
    });
  });

  it('becomes ready once the ingestion worker has brought the files in', async () => {
    h.startIngestion();
    const ready = await waitUntilReady(chat.id);
    expect(ready.files.every((f) => f.status === 'ready')).toBe(true);
    const requested = h.ingestRequests.filter((e) => e.type === 'files.ingest-requested');
    expect(requested).toHaveLength(1);
  }, 30_000);

  it('answers a question from the one file that holds the answer, and cites it', async () => {
    const res = await ask(chat.id, 'How long is the warranty on the Zephyr kettle?').expect(200);
    const answer = res.body as AnswerView;
    expect(answer.answer).toContain('two-year warranty');
    expect(answer.sources.length).toBeGreaterThan(0);
    expect(answer.sources.every((s) => s.fileId === kettle.fileId)).toBe(true);
    expect(answer.sources[0]).toMatchObject({ fileName: 'kettle-manual.md' });
    expect(answer.sources[0]?.excerpt).toContain('two-year warranty');
    expect(typeof answer.sessionId).toBe('string');
  });

  it('answers a follow-up that only makes sense with the history', async () => {
    const res = await ask(chat.id, 'What does the warranty not cover?').expect(200);
    const answer = res.body as AnswerView;
    expect(answer.answer).toContain('limescale');
    expect(answer.answer).not.toContain('crumb');
    expect(answer.sources.map((s) => s.fileId)).toEqual([kettle.fileId]);

    // Without the history the same words match both appliances' warranties.
    const fresh = (await h.api(token).post(`/v1/projects/${project}/chats`).expect(201))
      .body as ChatView;
    expect(fresh.status).toBe('ready');
    const alone = (await ask(fresh.id, 'What does the warranty not cover?').expect(200))
      .body as AnswerView;
    expect(new Set(alone.sources.map((s) => s.fileId))).toEqual(
      new Set([kettle.fileId, toaster.fileId]),
    );
  });

  it(`says exactly "${NO_ANSWER}" with no sources to an unrelated question`, async () => {
    const res = await ask(chat.id, 'Who won the football world cup in 1998?').expect(200);
    expect(res.body).toMatchObject({ answer: NO_ANSWER, sources: [] });
  });

  it('streams an answer as token events, then one sources event, then done', async () => {
    const url = await h.listen();
    const response = await fetch(`${url}/v1/chats/${chat.id}/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ question: 'How many slots does the Brava toaster have?' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await response.text());
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(events.map((e) => e.event).slice(-2)).toEqual(['sources', 'done']);
    expect(events.filter((e) => e.event === 'sources')).toHaveLength(1);
    const text = tokens.map((e) => (e.data as { text: string }).text).join('');
    expect(text).toContain('four slots');
    const sources = events.at(-2)?.data as Omit<AnswerView, 'answer'>;
    expect(sources.sources.map((s) => s.fileId)).toEqual([toaster.fileId]);

    const history = await h.api(token).get(`/v1/chats/${chat.id}/messages`).expect(200);
    const items = (history.body as { items: Array<{ id: string; role: string; text: string }> })
      .items;
    expect(items.at(-1)).toMatchObject({ id: sources.id, role: 'assistant', text });
    expect(items.at(-2)).toMatchObject({
      role: 'user',
      text: 'How many slots does the Brava toaster have?',
    });
  });

  it('keeps the history of every turn, with sources on answers', async () => {
    const res = await h.api(token).get(`/v1/chats/${chat.id}/messages`).expect(200);
    const items = (res.body as { items: Array<{ role: string; sources?: unknown[] }> }).items;
    expect(items.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(items.filter((m) => m.role === 'user').every((m) => m.sources === undefined)).toBe(true);
    expect(items[1]?.sources?.length).toBeGreaterThan(0);
    expect(items[5]?.sources).toEqual([]);
  });

  it("hides a tenant's chat and project from another tenant (404)", async () => {
    const other = h.api(await h.token('globex'));
    await other.get(`/v1/chats/${chat.id}`).expect(404);
    await other.get(`/v1/chats/${chat.id}/messages`).expect(404);
    await other.post(`/v1/chats/${chat.id}/messages`, { question: 'warranty?' }).expect(404);
    await other.post(`/v1/projects/${project}/chats`).expect(404);
  });

  it('never answers from a file whose ttl has passed, and asks for it again', async () => {
    const question = 'What is the daily meal allowance abroad?';
    const before = (await ask(chat.id, question).expect(200)).body as AnswerView;
    expect(before.answer).toContain('45 euros');
    expect(before.sources.map((s) => s.fileId)).toEqual([travel.fileId]);

    // The janitor has not come by yet: the records are still there, only their ttl has passed
    // (the file's expiresAt follows the kb-files ttl, as the refresher keeps them).
    const record = await h.kbFiles.get(travel.fileId);
    if (!record) throw new Error('no kb-files record');
    const lapsed = Math.floor(Date.now() / 1000) - 5;
    await h.kbFiles.put({ ...record, ttl: lapsed });
    const file = await h.files.get(travel);
    if (!file) throw new Error('no file record');
    await h.adapters.tables
      .table<FileRecord>('files')
      .put({ ...file, expiresAt: new Date(lapsed * 1000).toISOString() });
    const seen = h.ingestRequests.length;

    const after = (await ask(chat.id, question).expect(200)).body as AnswerView;
    expect(after).toMatchObject({ answer: NO_ANSWER, sources: [] });

    // Just in time: the lapsed file comes back, and answers again.
    await waitFor('a new ingestion request', async () =>
      h.ingestRequests.length > seen ? true : undefined,
    );
    const request = h.ingestRequests.at(-1);
    expect(request?.type === 'files.ingest-requested' && request.data.fileIds).toEqual([
      travel.fileId,
    ]);
    await waitUntilReady(chat.id);
    const again = (await ask(chat.id, question).expect(200)).body as AnswerView;
    expect(again.sources.map((s) => s.fileId)).toEqual([travel.fileId]);
  }, 30_000);

  it("refreshes the files' ttl as the chat is used, at most once a minute", async () => {
    const ttlOf = async () => (await h.kbFiles.get(kettle.fileId))?.ttl ?? 0;
    const start = await ttlOf();
    await ask(chat.id, 'How long is the warranty on the Zephyr kettle?').expect(200);
    // Within a minute of the last write: nothing moves.
    expect(await ttlOf()).toBe(start);
    h.advance(120);
    await ask(chat.id, 'How long is the warranty on the Zephyr kettle?').expect(200);
    const refreshed = await ttlOf();
    expect(refreshed).toBeGreaterThanOrEqual(start + 119);
    const file = await h.files.get(kettle);
    expect(file?.expiresAt).toBe(new Date(refreshed * 1000).toISOString());
  });

  it('starts a new session after the idle time, without the old history', async () => {
    const first = (await ask(chat.id, 'How long is the warranty on the Zephyr kettle?').expect(200))
      .body as AnswerView;
    const same = (await ask(chat.id, 'What does the warranty not cover?').expect(200))
      .body as AnswerView;
    expect(same.sessionId).toBe(first.sessionId);
    h.advance(601);
    const later = (await ask(chat.id, 'What does the warranty not cover?').expect(200))
      .body as AnswerView;
    expect(later.sessionId).not.toBe(first.sessionId);
    // The new session does not carry the kettle from the old one.
    expect(later.sources.map((s) => s.fileId)).toContain(toaster.fileId);
  });
});

describe('starting a chat', () => {
  let h: Harness;
  let token: string;

  beforeAll(async () => {
    h = await startHarness();
    token = await h.token('initech');
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  it('takes only the files named, and rejects files of another project or unknown ones', async () => {
    const a = await h.addFile('initech', 'p1', 'a.txt', 'Alpha text.');
    await h.addFile('initech', 'p1', 'b.txt', 'Beta text.');
    const elsewhere = await h.addFile('initech', 'p2', 'c.txt', 'Gamma text.');
    const res = await h
      .api(token)
      .post('/v1/projects/p1/chats', { fileIds: [a.fileId] })
      .expect(201);
    expect((res.body as ChatView).files.map((f) => f.id)).toEqual([a.fileId]);
    const bad = await h
      .api(token)
      .post('/v1/projects/p1/chats', { fileIds: [a.fileId, elsewhere.fileId, 'nope'] })
      .expect(400);
    expect(bad.body).toMatchObject({ unknownFileIds: [elsewhere.fileId, 'nope'] });
  });

  it('refreshes the ttl of files in the knowledge base instead of asking for them again', async () => {
    const file = await h.addFile('initech', 'p3', 'd.txt', 'Delta text.');
    await h.files.claimForIngestion(file);
    await h.files.markReady(file, new Date(Date.now() + 3_600_000).toISOString());
    const ttl = Math.floor(Date.now() / 1000) + 3600;
    await h.kbFiles.put({
      fileId: file.fileId,
      tenantId: 'initech',
      projectId: 'p3',
      userId: 'u',
      chunks: 1,
      ttl,
    });
    const res = await h.api(token).post('/v1/projects/p3/chats').expect(201);
    expect(res.body).toMatchObject({
      status: 'ready',
      files: [{ id: file.fileId, status: 'ready' }],
    });
    // The free tier keeps files for 7 days.
    expect((await h.kbFiles.get(file.fileId))?.ttl).toBeGreaterThan(ttl + 6 * 24 * 3600);
  });

  it('refuses unknown fields, a project without uploaded files, and bad questions', async () => {
    await h.addFile('initech', 'p4', 'e.txt', 'Epsilon.');
    await h.api(token).post('/v1/projects/p4/chats', { files: [] }).expect(400);
    await h.api(token).post('/v1/projects/missing/chats').expect(404);
    // A file whose upload never completed cannot be chatted with.
    await h.addFile('initech', 'p5', 'f.txt', 'Zeta.');
    const pending = { tenantId: 'initech', projectId: 'p5', fileId: 'pending-1' };
    await h.files.create({
      ...pending,
      name: 'g.txt',
      contentType: 'text/plain',
      size: 1,
      objectKey: 'k',
    });
    await h
      .api(token)
      .post('/v1/projects/p5/chats', { fileIds: ['pending-1'] })
      .expect(400);
    const empty = { tenantId: 'initech', projectId: 'p6', fileId: 'pending-2' };
    await h.addFile('initech', 'p6', 'h.txt', 'Eta.').then((file) => h.files.delete(file));
    await h.files.create({
      ...empty,
      name: 'i.txt',
      contentType: 'text/plain',
      size: 1,
      objectKey: 'k',
    });
    const none = await h.api(token).post('/v1/projects/p6/chats').expect(409);
    expect(none.body).toMatchObject({ type: 'https://jitkb.dev/problems/no-files' });
    const chat = (await h.api(token).post('/v1/projects/p4/chats').expect(201)).body as ChatView;
    await h.api(token).post(`/v1/chats/${chat.id}/messages`, { question: '' }).expect(400);
    await h
      .api(token)
      .post(`/v1/chats/${chat.id}/messages`, { question: 'x'.repeat(4001) })
      .expect(400);
    await h
      .api(token)
      .post(`/v1/chats/${chat.id}/messages`, { question: 'ok?', extra: 1 })
      .expect(400);
  });

  it('requires a valid bearer token on every route', async () => {
    const { default: request } = await import('supertest');
    await request(h.service.app).get('/v1/chats/x').expect(401);
    await request(h.service.app)
      .get('/v1/chats/x')
      .set('authorization', 'Bearer not-a-token')
      .expect(401);
  });
});

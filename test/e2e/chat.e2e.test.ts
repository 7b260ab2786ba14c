/**
 * Chat end to end, through the gateway over HTTP with real tokens, on both adapter families: three
 * real documents are uploaded, a chat brings them into the knowledge base just in time (chat →
 * bus → ingestion → bus → chat), and questions are answered with citations from the right file,
 * with the history, with "Sorry, I don't know.", and streamed as server-sent events.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  answerSourcesEvent,
  answerTokenEvent,
  answerView,
  chatView,
  messageList,
  type AnswerView,
  type ChatView,
} from '@jitkb/shared';
import { REPO_ROOT } from '@jitkb/shared/testing';
import { call, client, expectProblem } from './client';
import { startSystem, type System } from './system';

const HARBOUR = [
  'Kelp Island ferries',
  '',
  'Kelp Island ferries leave from pier three every forty minutes.',
  'The Kelp Island ferry terminal opens at six in the morning.',
  '',
].join('\n');

const ONBOARDING = [
  '# Onboarding',
  '',
  'New employees collect their badge from Marta in room 214.',
  '',
  '## Lunch',
  '',
  'The cafeteria opens at noon.',
  '',
].join('\n');

// "Revenue grew by twelve percent in the third quarter." on its first page.
const REPORT_PDF = readFileSync(
  path.join(REPO_ROOT, 'services/ingestion/test/fixtures/sample.pdf'),
);

const NO_ANSWER = "Sorry, I don't know.";
const READY_WITHIN_MS = 30_000;

let tenantCounter = 0;
const newTenant = (label: string) => `${label}-${Date.now().toString(36)}-${++tenantCounter}`;

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a whole server-sent event stream (bounded) into its events. */
async function readEvents(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const event =
        lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      return { event, data: data ? (JSON.parse(data) as unknown) : undefined };
    });
}

describe.each(['embedded', 'aws'] as const)('chat through the gateway (%s)', (mode) => {
  let system: System;
  let tenantA: ReturnType<typeof client>;
  let projectId: string;
  const fileIds: Record<'harbour' | 'onboarding' | 'report', string> = {
    harbour: '',
    onboarding: '',
    report: '',
  };
  let chat: ChatView;

  const ask = async (question: string): Promise<AnswerView> => {
    const reply = await tenantA.api('POST', `/v1/chats/${chat.id}/messages`, { question });
    expect(reply.status).toBe(200);
    return answerView.parse(reply.body);
  };

  beforeAll(async () => {
    system = await startSystem({ mode, label: `chat-${mode}` });
    tenantA = client(system, await system.token(newTenant('chat-a'), 'alice'));
    projectId = await tenantA.createProject('Chat documents');
    const uploaded = await Promise.all([
      tenantA.uploadFile(projectId, 'harbour.txt', 'text/plain', Buffer.from(HARBOUR)),
      tenantA.uploadFile(projectId, 'onboarding.md', 'text/markdown', Buffer.from(ONBOARDING)),
      tenantA.uploadFile(projectId, 'report.pdf', 'application/pdf', REPORT_PDF),
    ]);
    [fileIds.harbour, fileIds.onboarding, fileIds.report] = uploaded.map((f) => f.id) as [
      string,
      string,
      string,
    ];
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 30_000);

  it(
    'starts a chat on every uploaded file and becomes ready once they are ingested',
    async () => {
      const started = await tenantA.api('POST', `/v1/projects/${projectId}/chats`);
      expect(started.status).toBe(201);
      chat = chatView.parse(started.body);
      expect(chat.projectId).toBe(projectId);
      expect(chat.files.map((f) => f.id).sort()).toEqual(Object.values(fileIds).sort());

      const deadline = Date.now() + READY_WITHIN_MS;
      while (chat.status === 'preparing' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const polled = await tenantA.api('GET', `/v1/chats/${chat.id}`);
        expect(polled.status).toBe(200);
        chat = chatView.parse(polled.body);
      }
      expect(chat.status).toBe('ready');
      expect(chat.files.map((f) => f.status)).toEqual(['ready', 'ready', 'ready']);
    },
    READY_WITHIN_MS + 5000,
  );

  it('answers from the one file that holds the answer and cites it', async () => {
    const answer = await ask('Which pier do the Kelp Island ferries leave from?');
    expect(answer.answer).toContain('pier three');
    expect(answer.sources.length).toBeGreaterThan(0);
    for (const source of answer.sources) {
      expect(source).toMatchObject({ fileId: fileIds.harbour, fileName: 'harbour.txt' });
    }
    expect(answer.sources.map((s) => s.excerpt).join(' ')).toContain('pier three');
  });

  it(
    'answers a follow-up with the help of the history',
    async () => {
      // "it" is the ferry terminal of the previous question; the cafeteria opens too, at noon.
      const answer = await ask('And when does it open?');
      expect(answer.answer).toContain('six in the morning');
      expect(answer.answer).not.toContain('noon');
      expect(answer.sources.map((s) => s.fileName)).toEqual(['harbour.txt']);

      // The control: in a chat of its own, without that history, the same words are ambiguous.
      const fresh = await tenantA.api('POST', `/v1/projects/${projectId}/chats`);
      expect(fresh.status).toBe(201);
      let other = chatView.parse(fresh.body);
      const deadline = Date.now() + READY_WITHIN_MS;
      while (other.status === 'preparing' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        other = chatView.parse((await tenantA.api('GET', `/v1/chats/${other.id}`)).body);
      }
      expect(other.status).toBe('ready');
      const alone = await tenantA.api('POST', `/v1/chats/${other.id}/messages`, {
        question: 'And when does it open?',
      });
      expect(alone.status).toBe(200);
      expect(answerView.parse(alone.body).sources.map((s) => s.fileName)).toContain(
        'onboarding.md',
      );
    },
    READY_WITHIN_MS + 5000,
  );

  it('answers a question the files say nothing about with exactly "Sorry, I don\'t know."', async () => {
    const answer = await ask('What is the boiling point of mercury?');
    expect(answer).toMatchObject({ answer: NO_ANSWER, sources: [] });
  });

  it('streams an answer as token events followed by one sources event', async () => {
    const res = await fetch(`${system.url}/v1/chats/${chat.id}/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tenantA.token}`,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      body: JSON.stringify({ question: 'By how much did revenue grow in the third quarter?' }),
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(res);

    const names = events.map((e) => e.event).filter((name) => name !== 'done');
    const sourcesAt = names.indexOf('sources');
    expect(sourcesAt).toBeGreaterThan(0);
    expect(names.slice(0, sourcesAt).every((name) => name === 'token')).toBe(true);
    expect(names.slice(sourcesAt + 1)).toEqual([]);

    const text = events
      .filter((e) => e.event === 'token')
      .map((e) => answerTokenEvent.parse(e.data).text)
      .join('');
    expect(text).toContain('twelve percent');
    const sources = answerSourcesEvent.parse(events[sourcesAt]?.data);
    expect(sources.sources.map((s) => s.fileName)).toEqual(['report.pdf']);
    expect(sources.sources[0]?.fileId).toBe(fileIds.report);

    // The streamed answer is recorded like any other.
    const history = messageList.parse(
      (await tenantA.api('GET', `/v1/chats/${chat.id}/messages`)).body,
    );
    expect(history.items.at(-1)).toMatchObject({ role: 'assistant', id: sources.id, text });
    expect(history.items.filter((m) => m.role === 'user')).toHaveLength(4);
  });

  it("answers 404 to another tenant on the chat and on the project's chats", async () => {
    const b = client(system, await system.token(newTenant('chat-b'), 'bob'));
    const attempts: Array<[Parameters<typeof b.api>[0], string, unknown?]> = [
      ['GET', `/v1/chats/${chat.id}`],
      ['GET', `/v1/chats/${chat.id}/messages`],
      ['POST', `/v1/chats/${chat.id}/messages`, { question: 'Which pier?' }],
      ['POST', `/v1/projects/${projectId}/chats`],
    ];
    for (const [method, route, body] of attempts) {
      const reply = await b.api(method, route, body);
      expect({ method, route, status: reply.status }).toEqual({ method, route, status: 404 });
      expectProblem(reply, 404);
    }
  });

  it('lets no request reach the chat service without a token', async () => {
    expectProblem(await call(system.services.chat, null, 'GET', `/v1/chats/${chat.id}`), 401);
    expectProblem(
      await call(system.services.chat, null, 'POST', `/v1/chats/${chat.id}/messages`, {
        question: 'Which pier?',
      }),
      401,
    );
  });
});

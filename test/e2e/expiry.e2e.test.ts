/**
 * Expiry end to end on the embedded adapters, through the gateway: with a tier whose ttl is 20 s,
 * a file nobody chats with leaves the knowledge base by itself (its chunks are removed, its status
 * becomes `expired`, questions no longer draw on it), a file that questions keep refreshing stays,
 * and a new chat brings the expired file back.
 */
import path from 'node:path';
import { answerView, chatView, createLogger, fileList } from '@jitkb/shared';
import { SqliteKnowledgeBase } from '../../shared/src/adapters/local/sqlite-knowledge-base';
import { client } from './client';
import { startSystem, type System } from './system';

const TTL_SECONDS = 20;
const SWEEP_INTERVAL_SECONDS = 2;
/** The bound: removed within 60 s after the ttl. */
const REMOVED_WITHIN_MS = 60_000;

const TIERS = JSON.stringify({
  brief: {
    maxFilesPerProject: 10,
    ttlSeconds: TTL_SECONDS,
    maxFileBytes: 1_000_000,
    queriesPerMinute: 600,
    ingestJobsPerMinute: 600,
  },
});

const FERRY = 'Kelp Island ferries leave from pier three every forty minutes.\n';
const MUSEUM = 'The maritime museum on Gull Street shows a whaling boat from 1851.\n';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('expiry through the running system (embedded)', () => {
  let system: System;
  let api: ReturnType<typeof client>;
  let knowledgeBase: SqliteKnowledgeBase;
  let projectId: string;
  let ferryId: string;
  let museumId: string;

  async function readyChat(fileIds: string[]): Promise<string> {
    const started = await api.api('POST', `/v1/projects/${projectId}/chats`, { fileIds });
    expect(started.status).toBe(201);
    let chat = chatView.parse(started.body);
    const deadline = Date.now() + 30_000;
    while (chat.status === 'preparing' && Date.now() < deadline) {
      await sleep(250);
      chat = chatView.parse((await api.api('GET', `/v1/chats/${chat.id}`)).body);
    }
    expect(chat.status).toBe('ready');
    return chat.id;
  }

  async function ask(chatId: string, question: string) {
    const reply = await api.api('POST', `/v1/chats/${chatId}/messages`, { question });
    expect(reply.status).toBe(200);
    return answerView.parse(reply.body);
  }

  async function files() {
    const reply = await api.api('GET', `/v1/projects/${projectId}/files`);
    expect(reply.status).toBe(200);
    return new Map(fileList.parse(reply.body).items.map((f) => [f.id, f]));
  }

  beforeAll(async () => {
    system = await startSystem({
      mode: 'embedded',
      label: 'expiry',
      env: { TIERS, JITKB_SWEEP_INTERVAL_SECONDS: String(SWEEP_INTERVAL_SECONDS) },
    });
    api = client(system, await system.token(`expiry-${Date.now().toString(36)}`, 'ed', 'brief'));
    projectId = await api.createProject('Expiring documents');
    ferryId = (await api.uploadFile(projectId, 'ferry.txt', 'text/plain', Buffer.from(FERRY))).id;
    museumId = (await api.uploadFile(projectId, 'museum.txt', 'text/plain', Buffer.from(MUSEUM)))
      .id;
    // Read-only use of the knowledge base the services write, to count chunks.
    knowledgeBase = new SqliteKnowledgeBase({
      path: path.join(system.env.JITKB_DATA_DIR ?? '', 'kb.db'),
      log: createLogger({ service: 'test', level: 'silent' }),
    });
  }, 90_000);

  afterAll(async () => {
    await knowledgeBase?.close?.();
    await system?.stop();
  }, 30_000);

  it(
    'removes an idle file after its ttl, keeps a refreshed one, and re-ingests on the next chat',
    async () => {
      const ferryChat = await readyChat([ferryId]);
      const museumChat = await readyChat([museumId]);
      const first = await ask(ferryChat, 'Which pier do the ferries leave from?');
      expect(first.sources.map((s) => s.fileName)).toEqual(['ferry.txt']);
      expect(await knowledgeBase.countChunks(ferryId)).toBeGreaterThan(0);

      const before = await files();
      const ferryExpiresAt = Date.parse(before.get(ferryId)?.expiresAt ?? '');
      const museumFirstExpiresAt = Date.parse(before.get(museumId)?.expiresAt ?? '');
      expect(ferryExpiresAt).toBeGreaterThan(Date.now());

      // Keep the museum file in use while the ferry file is left alone.
      let ferryExpiredAt: number | undefined;
      const deadline = ferryExpiresAt + REMOVED_WITHIN_MS;
      while (ferryExpiredAt === undefined && Date.now() < deadline) {
        const museum = await ask(museumChat, 'What does the maritime museum show?');
        expect(museum.sources.map((s) => s.fileName)).toEqual(['museum.txt']);
        await sleep(3000);
        if ((await files()).get(ferryId)?.status === 'expired') ferryExpiredAt = Date.now();
      }
      expect(ferryExpiredAt).toBeDefined();
      const lagSeconds = ((ferryExpiredAt ?? 0) - ferryExpiresAt) / 1000;
      expect(lagSeconds).toBeLessThan(REMOVED_WITHIN_MS / 1000);
      expect(await knowledgeBase.countChunks(ferryId)).toBe(0);

      // The refreshed file outlives its first ttl (and a few sweeps after it) and still answers.
      while (Date.now() < museumFirstExpiresAt + 2 * SWEEP_INTERVAL_SECONDS * 1000) {
        await ask(museumChat, 'What does the maritime museum show?');
        await sleep(2000);
      }
      const now = await files();
      expect(now.get(museumId)?.status).toBe('ready');
      expect(Date.parse(now.get(museumId)?.expiresAt ?? '')).toBeGreaterThan(Date.now());
      expect(await knowledgeBase.countChunks(museumId)).toBeGreaterThan(0);

      // A question on the museum chat never draws on the expired ferry file.
      const after = await ask(museumChat, 'Which pier do the ferries leave from?');
      expect(after.sources.map((s) => s.fileId)).not.toContain(ferryId);

      // A new chat brings the expired file back and it answers again.
      const again = await readyChat([ferryId]);
      expect((await files()).get(ferryId)?.status).toBe('ready');
      expect(await knowledgeBase.countChunks(ferryId)).toBeGreaterThan(0);
      const back = await ask(again, 'Which pier do the ferries leave from?');
      expect(back.answer).toContain('pier three');
      expect(back.sources.map((s) => s.fileName)).toEqual(['ferry.txt']);
    },
    TTL_SECONDS * 1000 + REMOVED_WITHIN_MS + 60_000,
  );
});

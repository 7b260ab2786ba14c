/**
 * The system under test for the reliability suites: the five services as processes (test/e2e's
 * harness) on one adapter family, plus direct, read-mostly access to its stores for the checks
 * that the API cannot make (chunks per file, kb-files records, dead-letter queues).
 */
import path from 'node:path';
import {
  createAdapters,
  createKbFilesRepository,
  createLogger,
  createdFileView,
  DEFAULT_TIERS,
  modeSchema,
  type Adapters,
  type ChatView,
  type KbFilesRepository,
  type KnowledgeBase,
  type Logger,
  type Tiers,
} from '@jitkb/shared';
// Read directly: the test process needs the chunks' count, not retrieval (no embedder).
import { SqliteKnowledgeBase } from '../../../shared/src/adapters/local/sqlite-knowledge-base';
import { uploadThrough } from '../../e2e/client';
import { startSystem, type ServiceName, type System } from '../../e2e/system';
import { send, waitFor, type Reply, type SendOptions } from './http';

/** The default tiers plus `bulk`, whose limits stay out of the way of the fault and fuzz runs. */
export const TIERS: Tiers = {
  ...DEFAULT_TIERS,
  bulk: {
    maxFilesPerProject: 1000,
    ttlSeconds: 3600,
    maxFileBytes: 1024 * 1024,
    queriesPerMinute: 1_000_000,
    ingestJobsPerMinute: 1_000_000,
  },
};

/** Short visibility timeouts: a message held by a killed process comes back within seconds. */
export const VISIBILITY_SECONDS = 3;

export type Mode = 'embedded' | 'aws';

export interface Tenant {
  tenantId: string;
  userId: string;
  token: string;
  tier: string;
  /** A call through the gateway with this tenant's token. */
  api(method: string, path: string, json?: unknown, options?: SendOptions): Promise<Reply>;
  createProject(name: string): Promise<string>;
  /** Creates, uploads and completes a text file; returns its id. */
  uploadText(projectId: string, name: string, text: string): Promise<string>;
  startChat(projectId: string, fileIds?: string[]): Promise<ChatView>;
  /** Waits until the chat is no longer `preparing`. */
  waitChat(chatId: string, timeoutMs: number): Promise<ChatView>;
}

export interface Rig {
  mode: Mode;
  system: System;
  log: Logger;
  adapters: Adapters;
  /** The local knowledge base file every service uses, opened without an embedder. */
  kb: KnowledgeBase;
  kbFiles: KbFilesRepository;
  newTenant(label: string, tier?: string): Promise<Tenant>;
  /** SIGKILL (or `signal`) to a service; `revive` starts it again. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  revive(name: ServiceName): Promise<void>;
  /** Starts every service a failed suite left dead. */
  reviveAll(): Promise<void>;
  close(): Promise<void>;
}

let tenantCounter = 0;

export async function startRig(mode: Mode): Promise<Rig> {
  const system = await startSystem({
    mode,
    label: `reliability-${mode}`,
    env: {
      TIERS: JSON.stringify(TIERS),
      INGEST_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
      INGEST_CLAIM_STALE_SECONDS: String(VISIBILITY_SECONDS),
      JANITOR_VISIBILITY_TIMEOUT_SECONDS: String(VISIBILITY_SECONDS),
    },
    startTimeoutMs: 90_000,
  });
  const log = createLogger({ service: 'reliability', level: 'silent' });
  const config = modeSchema.parse(system.env);
  const adapters = createAdapters(config, { log });
  const kbPath = system.env.JITKB_KB_PATH ?? path.join(system.env.JITKB_DATA_DIR ?? '.', 'kb.db');
  const kb = new SqliteKnowledgeBase({ path: kbPath, log });
  const dead = new Set<ServiceName>();

  const rig: Rig = {
    mode,
    system,
    log,
    adapters,
    kb,
    kbFiles: createKbFilesRepository(adapters.tables),
    async newTenant(label, tier = 'bulk') {
      const tenantId = `${label}-${Date.now().toString(36)}-${++tenantCounter}`;
      const userId = `user-${tenantCounter}`;
      const token = await system.token(tenantId, userId, tier);
      return tenantClient(system, { tenantId, userId, token, tier });
    },
    async kill(name, signal = 'SIGKILL') {
      dead.add(name);
      await system.kill(name, signal);
    },
    async revive(name) {
      await system.restart(name);
      dead.delete(name);
    },
    async reviveAll() {
      for (const name of [...dead]) await rig.revive(name);
    },
    async close() {
      await system.stop();
      await kb.close?.();
      await adapters.close();
    },
  };
  return rig;
}

function tenantClient(
  system: System,
  who: { tenantId: string; userId: string; token: string; tier: string },
): Tenant {
  const api: Tenant['api'] = (method, path, json, options = {}) =>
    send(`${system.url}${path}`, {
      method,
      token: who.token,
      ...(json !== undefined ? { json } : {}),
      ...options,
    });
  const expectStatus = (reply: Reply, status: number, what: string) => {
    if (reply.status !== status) {
      throw new Error(`${what}: expected ${status}, got ${reply.status} ${reply.text}`);
    }
  };
  return {
    ...who,
    api,
    async createProject(name) {
      const reply = await api('POST', '/v1/projects', { name });
      expectStatus(reply, 201, 'create project');
      return (reply.body as { id: string }).id;
    },
    async uploadText(projectId, name, text) {
      const content = Buffer.from(text);
      const created = await api('POST', `/v1/projects/${projectId}/files`, {
        name,
        contentType: 'text/plain',
        size: content.length,
      });
      expectStatus(created, 201, 'create file');
      const file = createdFileView.parse(created.body);
      const uploaded = await uploadThrough(file.upload, content);
      if (uploaded >= 300) throw new Error(`upload answered ${uploaded}`);
      const completed = await api('POST', `/v1/projects/${projectId}/files/${file.id}/complete`);
      expectStatus(completed, 200, 'complete file');
      return file.id;
    },
    async startChat(projectId, fileIds) {
      const reply = await api(
        'POST',
        `/v1/projects/${projectId}/chats`,
        fileIds ? { fileIds } : {},
      );
      expectStatus(reply, 201, 'start chat');
      return reply.body as ChatView;
    },
    async waitChat(chatId, timeoutMs) {
      return waitFor(
        `chat ${chatId}`,
        async () => {
          const reply = await api('GET', `/v1/chats/${chatId}`);
          expectStatus(reply, 200, 'get chat');
          const chat = reply.body as ChatView;
          return chat.status === 'preparing' ? undefined : chat;
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
  };
}

/**
 * A snapshot once background work has settled: the same twice, half a second apart (the project
 * service records `file.ingested` after the chat is ready, which moves `updatedAt`).
 */
export async function settledSnapshot(
  tenant: Tenant,
  chatIds: readonly string[] = [],
): Promise<unknown> {
  let previous = await snapshot(tenant, chatIds);
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const current = await snapshot(tenant, chatIds);
    if (JSON.stringify(current) === JSON.stringify(previous)) return current;
    previous = current;
  }
  throw new Error(`the state of ${tenant.tenantId} did not settle`);
}

/**
 * A tenant's state as the API shows it: projects, their files, the given chats and their
 * messages, and the tenant's usage (bar this minute's queries, which the clock changes).
 */
export async function snapshot(tenant: Tenant, chatIds: readonly string[] = []): Promise<unknown> {
  const get = async (path: string) => {
    const reply = await tenant.api('GET', path);
    return { status: reply.status, body: reply.body };
  };
  const [projects, tenantView, chatViews] = await Promise.all([
    get('/v1/projects'),
    get('/v1/tenant'),
    Promise.all(
      chatIds.map(async (chatId) => {
        const [chat, messages] = await Promise.all([
          get(`/v1/chats/${chatId}`),
          get(`/v1/chats/${chatId}/messages`),
        ]);
        return [chatId, { chat, messages }] as const;
      }),
    ),
  ]);
  const items = ((projects.body as { items?: Array<{ id: string }> }).items ?? [])
    .slice()
    .sort((a, b) => a.id.localeCompare(b.id));
  const files = Object.fromEntries(
    await Promise.all(
      items.map(
        async (project) => [project.id, await get(`/v1/projects/${project.id}/files`)] as const,
      ),
    ),
  );
  const chats = Object.fromEntries(chatViews);
  const usage = (tenantView.body as { usage?: Record<string, unknown> }).usage ?? {};
  const { queriesThisMinute: _ignored, ...stableUsage } = usage;
  return { projects: { status: projects.status, items }, files, chats, usage: stableUsage };
}

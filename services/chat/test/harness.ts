import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  DEFAULT_TIERS,
  DevIssuer,
  ExtractiveGenerator,
  createAdapters,
  createAuthenticator,
  createFilesRepository,
  createKbFilesRepository,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  createProjectsRepository,
  loadConfig,
  objectKey,
  requireAuth,
  resolveAuthSettings,
  type Adapters,
  type Consumption,
  type EventEnvelope,
  type FileRecord,
  type FilesRepository,
  type Generator,
  type KbFilesRepository,
  type KnowledgeBase,
  type TierConfig,
} from '@jitkb/shared';
import { createIngestionService } from '../../ingestion/src/app';
import { createChatService, type ChatService } from '../src/app';
import { configSchema } from '../src/config';

export const TEST_TIERS: TierConfig = { tiers: DEFAULT_TIERS, tenants: {} };

export interface HarnessOptions {
  generator?: Generator;
  /** Env of the chat service's config (CHAT_*). */
  env?: Record<string, string>;
}

export interface Harness {
  service: ChatService;
  adapters: Adapters;
  knowledgeBase: KnowledgeBase;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  /** `files.ingest-requested` events seen by the ingestion worker. */
  ingestRequests: EventEnvelope[];
  /** Moves the chat service's clock forward. */
  advance(seconds: number): void;
  /** A bearer token of the dev issuer for this tenant. */
  token(tenantId: string, tier?: string): Promise<string>;
  /** Stores a text document as an uploaded file of a project (created when new). */
  addFile(tenantId: string, projectId: string, name: string, text: string): Promise<FileRecord>;
  /** Starts the real ingestion worker on the bus (stopped by close). */
  startIngestion(): void;
  /** The chat app listening on loopback, for streaming requests with fetch. */
  listen(): Promise<string>;
  api(token: string): {
    get(url: string): request.Test;
    post(url: string, body?: object): request.Test;
  };
  close(): Promise<void>;
}

/**
 * The chat service on the embedded adapters in a temporary data directory, with the real local
 * knowledge base, the real ingestion worker on the same bus, and real tokens from the dev issuer.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jitkb-chat-'));
  const config = loadConfig(configSchema, {
    JITKB_MODE: 'embedded',
    JITKB_DATA_DIR: dataDir,
    ...options.env,
  });
  const log = createLogger({ service: 'chat', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const adapters = createAdapters(config, { log });
  const kb = await createKnowledgeBase(config, { log });
  const settings = resolveAuthSettings(config);
  const issuer = await DevIssuer.open({
    issuer: settings.issuer,
    audience: settings.audience,
    claims: settings.claims,
  });
  const authenticator = createAuthenticator(config, TEST_TIERS, { keys: issuer.keys() });
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const service = createChatService({
    adapters,
    knowledgeBase: kb.knowledgeBase,
    generator: options.generator ?? new ExtractiveGenerator(),
    log,
    metrics: createMetrics('chat', { defaults: false }),
    authenticate: requireAuth(authenticator),
    tiers: TEST_TIERS,
    settings: {
      minScore: config.CHAT_MIN_SCORE,
      k: config.CHAT_RETRIEVE_K,
      historyTurns: config.CHAT_HISTORY_TURNS,
      sessionIdleSeconds: config.CHAT_SESSION_IDLE_SECONDS,
    },
    now,
  });
  const files = createFilesRepository(adapters.tables);
  const projects = createProjectsRepository(adapters.tables);
  const ingestRequests: EventEnvelope[] = [];
  const consumptions: Consumption[] = [
    adapters.bus.consume({ consumer: 'chat', handler: service.handleEvent, waitTimeSeconds: 0.05 }),
  ];
  const servers: Server[] = [];

  return {
    service,
    adapters,
    knowledgeBase: kb.knowledgeBase,
    files,
    kbFiles: createKbFilesRepository(adapters.tables),
    ingestRequests,
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async token(tenantId, tier) {
      return (await issuer.issue({ tenantId, userId: `user-${tenantId}`, tier })).access_token;
    },
    async addFile(tenantId, projectId, name, text) {
      if (!(await projects.get(tenantId, projectId))) {
        await projects.create({
          tenantId,
          projectId,
          name: projectId,
          ownerId: 'owner',
          createdAt: new Date().toISOString(),
        });
      }
      const fileId = randomUUID();
      const key = objectKey(tenantId, projectId, fileId);
      const body = Buffer.from(text, 'utf8');
      await adapters.objects.put(key, body, 'text/plain');
      const ref = { tenantId, projectId, fileId };
      await files.create({
        ...ref,
        name,
        contentType: 'text/plain',
        size: body.length,
        objectKey: key,
      });
      const uploaded = await files.markUploaded(ref);
      if (!uploaded) throw new Error('could not mark the file uploaded');
      return uploaded;
    },
    startIngestion() {
      const ingestion = createIngestionService({
        adapters,
        knowledgeBase: kb.knowledgeBase,
        log,
        metrics: createMetrics('ingestion', { defaults: false }),
        tiers: TEST_TIERS,
        chunking: { chunkSize: 400, chunkOverlap: 40 },
        claimStaleSeconds: 60,
      });
      consumptions.push(
        adapters.bus.consume({
          consumer: 'ingestion',
          waitTimeSeconds: 0.05,
          handler: async (received) => {
            ingestRequests.push(received.event);
            await ingestion.handleEvent(received);
          },
        }),
      );
    },
    async listen() {
      const server = createServer(service.app);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    api(token) {
      return {
        get: (url) => request(service.app).get(url).set('authorization', `Bearer ${token}`),
        post: (url, body) => {
          const test = request(service.app).post(url).set('authorization', `Bearer ${token}`);
          return body === undefined ? test : test.send(body);
        },
      };
    },
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await Promise.all(consumptions.map((consumption) => consumption.stop()));
      await adapters.close();
      await kb.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Parses a complete text/event-stream body. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? 'message';
      const data = lines
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}

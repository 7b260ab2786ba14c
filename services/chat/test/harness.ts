import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  ExtractiveGenerator,
  createMetrics,
  requireAuth,
  type Adapters,
  type EventEnvelope,
  type FileRecord,
  type FilesRepository,
  type Generator,
  type KbFilesRepository,
  type KnowledgeBase,
} from '@jitkb/shared';
import {
  createServiceTestbed,
  openTestIssuer,
  openTestKnowledgeBase,
  waitFor as pollUntil,
} from '@jitkb/shared/testing';
import { createIngestionService } from '../../ingestion/src/app';
import { createChatService, type ChatService } from '../src/app';
import { configSchema } from '../src/config';

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
  const testbed = await createServiceTestbed({
    service: 'chat',
    schema: configSchema,
    env: options.env,
  });
  const { adapters, config, files, log } = testbed;
  const knowledgeBase = await openTestKnowledgeBase(testbed);
  const issuer = await openTestIssuer(config);
  let offsetMs = 0;
  const now = () => new Date(Date.now() + offsetMs);
  const service = createChatService({
    adapters,
    knowledgeBase,
    generator: options.generator ?? new ExtractiveGenerator(),
    log,
    metrics: testbed.metrics,
    authenticate: requireAuth(issuer.authenticator(testbed.tiers)),
    tiers: testbed.tiers,
    settings: {
      minScore: config.CHAT_MIN_SCORE,
      k: config.CHAT_RETRIEVE_K,
      historyTurns: config.CHAT_HISTORY_TURNS,
      sessionIdleSeconds: config.CHAT_SESSION_IDLE_SECONDS,
    },
    now,
  });
  const ingestRequests: EventEnvelope[] = [];
  testbed.consume({ consumer: 'chat', handler: service.handleEvent, waitTimeSeconds: 0.05 });
  const servers: Server[] = [];
  testbed.onClose(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  return {
    service,
    adapters,
    knowledgeBase,
    files,
    kbFiles: testbed.kbFiles,
    ingestRequests,
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    token: (tenantId, tier) => issuer.token(tenantId, { tier }),
    async addFile(tenantId, projectId, name, text) {
      if (!(await testbed.projects.get(tenantId, projectId))) {
        await testbed.projects.create({
          tenantId,
          projectId,
          name: projectId,
          ownerId: 'owner',
          createdAt: new Date().toISOString(),
        });
      }
      const ref = { tenantId, projectId, fileId: randomUUID() };
      const body = Buffer.from(text, 'utf8');
      return testbed.storeUploadedFile(ref, { name, contentType: 'text/plain', body });
    },
    startIngestion() {
      const ingestion = createIngestionService({
        adapters,
        knowledgeBase,
        log,
        metrics: createMetrics('ingestion', { defaults: false }),
        tiers: testbed.tiers,
        chunking: { chunkSize: 400, chunkOverlap: 40 },
        claimStaleSeconds: 60,
      });
      testbed.consume({
        consumer: 'ingestion',
        waitTimeSeconds: 0.05,
        handler: async (received) => {
          ingestRequests.push(received.event);
          await ingestion.handleEvent(received);
        },
      });
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
    close: () => testbed.close(),
  };
}

/** Polls every 50 ms until `check` returns a value, or fails after `timeoutMs`. */
export const waitFor = <T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs?: number,
): Promise<T> => pollUntil(what, check, timeoutMs, 50);

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

import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createAdapters,
  createEvent,
  createFilesRepository,
  createKbFilesRepository,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  DEFAULT_TIERS,
  loadConfig,
  objectKey,
  type Adapters,
  type Consumption,
  type EventEnvelope,
  type EventOf,
  type FileRecord,
  type FileRef,
  type FileStatus,
  type FilesRepository,
  type KbFilesRepository,
  type KnowledgeBase,
  type RateLimiterFactory,
  type ServiceMetrics,
  type TierConfig,
  type TierRateLimiters,
} from '@jitkb/shared';
import {
  createAwsClients,
  provisionBucket,
  provisionMessaging,
  provisionTables,
  tableNamesFor,
} from '@jitkb/shared/aws';
import { testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';
import { createIngestionService, type IngestionService } from '../src/app';
import { configSchema, type Config } from '../src/config';

export const FIXTURES = path.join(__dirname, 'fixtures');

/** Every tier of the defaults, plus `tiny`: two ingestion jobs per window. */
export const TEST_TIERS: TierConfig = {
  tiers: { ...DEFAULT_TIERS, tiny: { ...DEFAULT_TIERS.free!, ingestJobsPerMinute: 2 } },
  tenants: {},
};

export interface HarnessOptions {
  tiers?: TierConfig;
  /** Window of the ingestion limiters in seconds (the service's is 60). */
  limitWindowSeconds?: number;
  /** Wraps the knowledge base the worker writes to (to make it fail, say). */
  wrapKnowledgeBase?: (knowledgeBase: KnowledgeBase) => KnowledgeBase;
  visibilityTimeoutSeconds?: number;
  claimStaleSeconds?: number;
  now?: () => Date;
  /** More environment variables for the service's config. */
  env?: Record<string, string>;
}

export interface Harness {
  config: Config;
  adapters: Adapters;
  knowledgeBase: KnowledgeBase;
  service: IngestionService;
  metrics: ServiceMetrics;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  /** `file.ingested` and `file.ingest-failed` events, as the chat service receives them. */
  events: EventEnvelope[];
  /** Ingestion events the worker has finished with (acknowledged or not). */
  handled: EventEnvelope[];
  /** Runs the worker's handler on one delivery, as the bus would. */
  deliver(event: EventEnvelope, receiveCount?: number): Promise<void>;
  /** Stores a fixture as an uploaded file of `tenantId`, in a new project unless one is named. */
  addFile(
    tenantId: string,
    fixture: string,
    contentType: string,
    projectId?: string,
  ): Promise<FileRecord>;
  /** Publishes a `files.ingest-requested` event for files of one project. */
  request(
    files: readonly FileRef[],
    options?: { tier?: string; id?: string },
  ): Promise<EventOf<'files.ingest-requested'>>;
  /** Starts the ingestion consumer (stopped by close). */
  startWorker(): Consumption;
  waitForStatus(ref: FileRef, status: FileStatus, timeoutMs?: number): Promise<FileRecord>;
  close(): Promise<void>;
}

let counter = 0;
const nextId = (label: string) => `${label}-${Date.now().toString(36)}-${(counter += 1)}`;

/** Limiters like createTierRateLimiters', over a window short enough for a test. */
export function shortWindowLimiters(
  factory: RateLimiterFactory,
  tiers: TierConfig,
  durationSeconds: number,
): TierRateLimiters {
  const limiters = new Map(
    Object.entries(tiers.tiers).map(([tier, limits]) => [
      tier,
      factory.create('ingest-jobs', { points: limits.ingestJobsPerMinute, durationSeconds }),
    ]),
  );
  return {
    forTier(tier) {
      const limiter = limiters.get(tier);
      if (!limiter) throw new Error(`unknown tier ${tier}`);
      return limiter;
    },
    async consumed(key) {
      return (await limiters.values().next().value?.get(key))?.consumed ?? 0;
    },
  };
}

/** A knowledge base that behaves like `inner` except where `overrides` says otherwise. */
export function wrapKnowledgeBase(
  inner: KnowledgeBase,
  overrides: Partial<Pick<KnowledgeBase, 'ingest' | 'delete'>>,
): KnowledgeBase {
  return {
    ingest: overrides.ingest ?? ((document) => inner.ingest(document)),
    delete: overrides.delete ?? ((fileIds) => inner.delete(fileIds)),
    retrieve: (query, filter, retrieveOptions) => inner.retrieve(query, filter, retrieveOptions),
    countChunks: (fileId) => inner.countChunks(fileId),
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
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startHarness(
  env: Record<string, string>,
  options: HarnessOptions,
  cleanup: () => Promise<void>,
): Promise<Harness> {
  // Small chunks, so that files have several and duplicates would show.
  const config = loadConfig(configSchema, {
    INGEST_CHUNK_SIZE: '120',
    INGEST_CHUNK_OVERLAP: '20',
    ...env,
    ...options.env,
  });
  const log = createLogger({ service: 'ingestion', level: 'silent' });
  const metrics = createMetrics('ingestion', { defaults: false });
  const adapters = createAdapters(config, { log });
  const kb = await createKnowledgeBase(config, { log });
  const tiers = options.tiers ?? TEST_TIERS;
  const service = createIngestionService({
    adapters,
    knowledgeBase: options.wrapKnowledgeBase?.(kb.knowledgeBase) ?? kb.knowledgeBase,
    log,
    metrics,
    tiers,
    chunking: { chunkSize: config.INGEST_CHUNK_SIZE, chunkOverlap: config.INGEST_CHUNK_OVERLAP },
    claimStaleSeconds: options.claimStaleSeconds ?? config.INGEST_CLAIM_STALE_SECONDS,
    ...(options.limitWindowSeconds
      ? {
          limiters: shortWindowLimiters(adapters.rateLimiters, tiers, options.limitWindowSeconds),
        }
      : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const files = createFilesRepository(adapters.tables);
  const events: EventEnvelope[] = [];
  const handled: EventEnvelope[] = [];
  const consumptions: Consumption[] = [
    adapters.bus.consume({
      consumer: 'chat',
      handler: async ({ event }) => void events.push(event),
      waitTimeSeconds: 1,
    }),
  ];

  return {
    config,
    adapters,
    knowledgeBase: kb.knowledgeBase,
    service,
    metrics,
    files,
    kbFiles: createKbFilesRepository(adapters.tables),
    events,
    handled,
    deliver: (event, receiveCount = 1) =>
      service.handleEvent({ event, receiveCount, correlationId: `corr-${event.id}` }),
    async addFile(tenantId, fixture, contentType, projectId = nextId('p')) {
      const fileId = nextId('f');
      const key = objectKey(tenantId, projectId, fileId);
      const body = await readFile(path.join(FIXTURES, fixture));
      await adapters.objects.put(key, body, contentType);
      const ref = { tenantId, projectId, fileId };
      await files.create({ ...ref, name: fixture, contentType, size: body.length, objectKey: key });
      const uploaded = await files.markUploaded(ref);
      if (!uploaded) throw new Error('could not mark the file uploaded');
      return uploaded;
    },
    async request(refs, requestOptions = {}) {
      const first = refs[0];
      if (!first) throw new Error('no files');
      const event = createEvent(
        'files.ingest-requested',
        first.tenantId,
        {
          projectId: first.projectId,
          chatId: nextId('c'),
          userId: 'u1',
          tier: requestOptions.tier ?? 'standard',
          fileIds: refs.map((ref) => ref.fileId),
        },
        requestOptions.id ? { id: requestOptions.id } : {},
      );
      await adapters.bus.publish(event, { correlationId: `corr-${event.id}` });
      return event;
    },
    startWorker() {
      const consumption = adapters.bus.consume({
        consumer: 'ingestion',
        handler: async (received) => {
          try {
            await service.handleEvent(received);
          } finally {
            handled.push(received.event);
          }
        },
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 2,
        waitTimeSeconds: 1,
      });
      consumptions.push(consumption);
      return consumption;
    },
    waitForStatus(ref, status, timeoutMs) {
      return waitFor(
        `file ${ref.fileId} to be ${status}`,
        async () => {
          const file = await files.get(ref);
          return file?.status === status ? file : undefined;
        },
        timeoutMs,
      );
    },
    async close() {
      await Promise.all(consumptions.map((consumption) => consumption.stop()));
      await adapters.close();
      await kb.close();
      await cleanup();
    },
  };
}

/** The worker on the embedded adapters in a temporary data directory. */
export async function startEmbeddedHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jitkb-ingestion-'));
  return startHarness({ JITKB_MODE: 'embedded', JITKB_DATA_DIR: dataDir }, options, () =>
    rm(dataDir, { recursive: true, force: true }),
  );
}

/** The worker on SNS/SQS, DynamoDB and S3 of moto's server, with a local knowledge base. */
export async function startAwsHarness(options: HarnessOptions = {}): Promise<Harness> {
  const endpoint = testAwsEndpoint();
  const prefix = uniquePrefix('ingest');
  const clients = createAwsClients({ region: 'us-east-1', endpoint });
  const tableNames = tableNamesFor(prefix);
  const [messaging] = await Promise.all([
    provisionMessaging({ sns: clients.sns, sqs: clients.sqs, prefix }),
    provisionTables({ dynamodb: clients.dynamodb, tableNames }),
    provisionBucket({ s3: clients.s3, bucket: prefix }),
  ]);
  clients.destroy();
  const kbDir = await mkdtemp(path.join(tmpdir(), 'jitkb-ingestion-kb-'));
  const env = {
    JITKB_MODE: 'aws',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    EVENTS_TOPIC_ARN: messaging.topicArn,
    BUCKET_NAME: prefix,
    TABLE_PROJECTS: tableNames.projects,
    TABLE_FILES: tableNames.files,
    TABLE_KB_FILES: tableNames.kbFiles,
    TABLE_CHATS: tableNames.chats,
    TABLE_CHAT_HISTORY: tableNames.chatHistory,
    TABLE_RATE_LIMITS: tableNames.rateLimits,
    TABLE_LEASES: tableNames.leases,
    QUEUE_URL_INGESTION: messaging.queueUrls.ingestion,
    QUEUE_URL_CHAT: messaging.queueUrls.chat,
    KNOWLEDGE_BASE: 'local',
    JITKB_KB_PATH: path.join(kbDir, 'kb.db'),
  };
  return startHarness(env, options, () => rm(kbDir, { recursive: true, force: true }));
}

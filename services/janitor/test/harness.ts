import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  buildRetrievalFilter,
  createAdapters,
  createFilesRepository,
  createKbFilesRepository,
  createKnowledgeBase,
  createLeasesRepository,
  createLogger,
  createMetrics,
  createProjectsRepository,
  loadConfig,
  objectKey,
  type Adapters,
  type Consumption,
  type FileRef,
  type FilesRepository,
  type KbFilesRepository,
  type KnowledgeBase,
  type KnowledgeBaseAdapters,
  type LeasesRepository,
  type ProjectsRepository,
  type RetrievedChunk,
  type ServiceMetrics,
} from '@jitkb/shared';
import {
  createAwsClients,
  provisionBucket,
  provisionMessaging,
  provisionTables,
  tableNamesFor,
} from '@jitkb/shared/aws';
import { testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';
import { createJanitorService, type JanitorService } from '../src/app';
import { configSchema } from '../src/config';

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The value of one series of a metric with these labels; for a histogram name the series, e.g.
 * `jitkb_janitor_expiry_lag_seconds_count`.
 */
export async function metricValue(
  metrics: ServiceMetrics,
  metric: string,
  labels: Record<string, string> = {},
  series: string = metric,
): Promise<number> {
  const values: {
    value: number;
    labels: Record<string, string | number | undefined>;
    metricName?: string;
  }[] = (await metrics.registry.getSingleMetric(metric)?.get())?.values ?? [];
  const found = values.find(
    (value) =>
      (value.metricName ?? metric) === series &&
      Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return found?.value ?? 0;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SeedOptions {
  tenantId: string;
  projectId: string;
  /** The file's text; each paragraph (blank-line separated) becomes one chunk. */
  text: string;
  ttlSeconds: number;
}

export interface Harness {
  dataDir: string;
  /** The physical kb-files table on moto (aws harnesses only). */
  kbFilesTable: string | undefined;
  /** The janitor's SQS queue on moto (aws harnesses only). */
  janitorQueueUrl: string | undefined;
  adapters: Adapters;
  knowledgeBase: KnowledgeBase;
  service: JanitorService;
  metrics: ServiceMetrics;
  projects: ProjectsRepository;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  leases: LeasesRepository;
  /** Starts the janitor's queue consumer (stopped by close). */
  startConsumer(): Consumption;
  /**
   * Brings a file into the knowledge base the way the ingestion worker does: object, file
   * record, claim, chunks, kb-files record with its ttl, then `ready`.
   */
  seedFile(options: SeedOptions): Promise<FileRef>;
  /** What a chat of the project would retrieve now: only files whose ttl is ahead. */
  retrieve(
    tenantId: string,
    projectId: string,
    fileIds: string[],
    query: string,
  ): Promise<RetrievedChunk[]>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  sweepIntervalSeconds?: number;
  sweepLeaseSeconds?: number;
  holderId?: string;
  /** Another harness's data directory: a second replica on the same stores. */
  dataDir?: string;
  /** A knowledge base to share instead of opening one (a second replica). */
  knowledgeBase?: KnowledgeBase;
  /** Run on moto's server instead of the embedded adapters. */
  aws?: boolean;
}

/** Environment of the aws mode on moto's server: fresh tables, topic, queues and bucket. */
async function awsEnv(
  kbDir: string,
): Promise<{ env: Record<string, string>; kbFilesTable: string }> {
  const endpoint = testAwsEndpoint();
  const prefix = uniquePrefix('janitor');
  const clients = createAwsClients({ region: 'us-east-1', endpoint });
  const tableNames = tableNamesFor(prefix);
  try {
    const [messaging] = await Promise.all([
      provisionMessaging({ sns: clients.sns, sqs: clients.sqs, prefix }),
      provisionTables({ dynamodb: clients.dynamodb, tableNames }),
      provisionBucket({ s3: clients.s3, bucket: prefix }),
    ]);
    const env: Record<string, string> = {
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
      JITKB_KB_PATH: path.join(kbDir, 'kb.db'),
    };
    const janitorQueue = messaging.queueUrls.janitor;
    if (janitorQueue) env.QUEUE_URL_JANITOR = janitorQueue;
    return { env, kbFilesTable: tableNames.kbFiles };
  } finally {
    clients.destroy();
  }
}

/**
 * The janitor with the local knowledge base in a temporary folder, on the embedded adapters, or
 * with `aws: true` on DynamoDB, S3 and SNS/SQS of moto's server.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'jitkb-janitor-')));
  const aws = options.aws ? await awsEnv(dataDir) : undefined;
  const config = loadConfig(configSchema, {
    ...(aws?.env ?? { JITKB_MODE: 'embedded', JITKB_DATA_DIR: dataDir }),
    JITKB_UPLOAD_SECRET: 'x'.repeat(32),
    JITKB_SWEEP_INTERVAL_SECONDS: String(options.sweepIntervalSeconds ?? 60),
    // No embedding model: the local knowledge base runs on BM25 alone. Removal does not depend on
    // ranking, and the model's tensors do not cross jest's sandbox (onnxruntime's own type check).
    JITKB_EMBEDDING_MODEL_DIR: path.join(dataDir, 'no-model'),
  });
  const log = createLogger({ service: 'janitor', level: 'silent' });
  const metrics = createMetrics('janitor', { defaults: false });
  const adapters = createAdapters(config, { log });
  // A second replica shares the first one's knowledge base and leaves closing it to the first.
  const kb: Pick<KnowledgeBaseAdapters, 'knowledgeBase' | 'close'> = options.knowledgeBase
    ? { knowledgeBase: options.knowledgeBase, close: async () => undefined }
    : await createKnowledgeBase(config, { log });
  const { knowledgeBase } = kb;
  const service = createJanitorService({
    adapters,
    knowledgeBase,
    log,
    metrics,
    sweepIntervalSeconds: config.JITKB_SWEEP_INTERVAL_SECONDS,
    ...(options.sweepLeaseSeconds ? { sweepLeaseSeconds: options.sweepLeaseSeconds } : {}),
    ...(options.holderId ? { holderId: options.holderId } : {}),
  });
  const projects = createProjectsRepository(adapters.tables);
  const files = createFilesRepository(adapters.tables);
  const kbFiles = createKbFilesRepository(adapters.tables);
  const consumptions: Consumption[] = [];

  async function seedFile(seed: SeedOptions): Promise<FileRef> {
    const ref = { tenantId: seed.tenantId, projectId: seed.projectId, fileId: randomUUID() };
    const key = objectKey(ref.tenantId, ref.projectId, ref.fileId);
    const body = Buffer.from(seed.text);
    await adapters.objects.put(key, body, 'text/plain');
    await files.create({
      ...ref,
      name: `${ref.fileId}.txt`,
      contentType: 'text/plain',
      size: body.length,
      objectKey: key,
    });
    await files.markUploaded(ref);
    if (!(await files.claimForIngestion(ref))) throw new Error('could not claim the file');
    let start = 0;
    const chunks = seed.text.split('\n\n').map((text, index) => {
      const chunk = { text, start, end: start + text.length, index };
      start = chunk.end + 2;
      return chunk;
    });
    await knowledgeBase.ingest({
      metadata: { ...ref, userId: 'user-1', fileName: `${ref.fileId}.txt` },
      chunks,
      objectKey: key,
      contentType: 'text/plain',
    });
    const ttl = Math.floor(Date.now() / 1000) + seed.ttlSeconds;
    await kbFiles.put({ ...ref, userId: 'user-1', chunks: chunks.length, ttl });
    await files.markReady(ref, new Date(ttl * 1000).toISOString());
    return ref;
  }

  return {
    dataDir,
    kbFilesTable: aws?.kbFilesTable,
    janitorQueueUrl: aws?.env.QUEUE_URL_JANITOR,
    adapters,
    knowledgeBase,
    service,
    metrics,
    projects,
    files,
    kbFiles,
    leases: createLeasesRepository(adapters.tables),
    startConsumer() {
      const consumption = adapters.bus.consume({
        consumer: 'janitor',
        handler: service.handleEvent,
        waitTimeSeconds: 1,
      });
      consumptions.push(consumption);
      return consumption;
    },
    seedFile,
    async retrieve(tenantId, projectId, fileIds, query) {
      const live = await kbFiles.getMany(fileIds);
      const tenant = { tenantId, userId: 'user-1', email: undefined, tier: 'free' };
      const filter = buildRetrievalFilter(tenant, projectId, live);
      return knowledgeBase.retrieve(query, filter, { k: 10 });
    },
    async close() {
      await service.sweeper.stop();
      await Promise.all(consumptions.map((consumption) => consumption.stop()));
      await adapters.close();
      await kb.close();
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

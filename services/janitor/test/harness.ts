import { randomUUID } from 'node:crypto';
import {
  buildRetrievalFilter,
  createLeasesRepository,
  type Adapters,
  type Consumption,
  type FileRef,
  type FilesRepository,
  type KbFilesRepository,
  type KnowledgeBase,
  type LeasesRepository,
  type ProjectsRepository,
  type RetrievedChunk,
  type ServiceMetrics,
} from '@jitkb/shared';
import {
  createServiceTestbed,
  openTestKnowledgeBase,
  waitFor as pollUntil,
} from '@jitkb/shared/testing';
import { createJanitorService, type JanitorService } from '../src/app';
import { configSchema } from '../src/config';

/** Polls until `check` returns a value, or fails after `timeoutMs` (15 s unless given). */
export const waitFor = <T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> => pollUntil(what, check, timeoutMs);

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

/**
 * The janitor with the local knowledge base in a temporary folder, on the embedded adapters, or
 * with `aws: true` on DynamoDB, S3 and SNS/SQS of moto's server.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const testbed = await createServiceTestbed({
    service: 'janitor',
    schema: configSchema,
    mode: options.aws ? 'aws' : 'embedded',
    dataDir: options.dataDir,
    env: {
      JITKB_UPLOAD_SECRET: 'x'.repeat(32),
      JITKB_SWEEP_INTERVAL_SECONDS: String(options.sweepIntervalSeconds ?? 60),
    },
  });
  const { adapters, dataDir, metrics, files, kbFiles } = testbed;
  // A second replica shares the first one's knowledge base and leaves closing it to the first.
  // No embedding model, as the janitor's main opens it: removal does not depend on ranking, and
  // the model's tensors do not cross jest's sandbox (onnxruntime's own type check).
  const knowledgeBase = await openTestKnowledgeBase(testbed, {
    shared: options.knowledgeBase,
    embeddings: false,
  });
  const service = createJanitorService({
    adapters,
    knowledgeBase,
    log: testbed.log,
    metrics,
    sweepIntervalSeconds: testbed.config.JITKB_SWEEP_INTERVAL_SECONDS,
    ...(options.sweepLeaseSeconds ? { sweepLeaseSeconds: options.sweepLeaseSeconds } : {}),
    ...(options.holderId ? { holderId: options.holderId } : {}),
  });

  async function seedFile(seed: SeedOptions): Promise<FileRef> {
    const ref = { tenantId: seed.tenantId, projectId: seed.projectId, fileId: randomUUID() };
    const name = `${ref.fileId}.txt`;
    const { objectKey } = await testbed.storeUploadedFile(ref, {
      name,
      contentType: 'text/plain',
      body: Buffer.from(seed.text),
    });
    if (!(await files.claimForIngestion(ref))) throw new Error('could not claim the file');
    let start = 0;
    const chunks = seed.text.split('\n\n').map((text, index) => {
      const chunk = { text, start, end: start + text.length, index };
      start = chunk.end + 2;
      return chunk;
    });
    await knowledgeBase.ingest({
      metadata: { ...ref, userId: 'user-1', fileName: name },
      chunks,
      objectKey,
      contentType: 'text/plain',
    });
    const ttl = Math.floor(Date.now() / 1000) + seed.ttlSeconds;
    await kbFiles.put({ ...ref, userId: 'user-1', chunks: chunks.length, ttl });
    await files.markReady(ref, new Date(ttl * 1000).toISOString());
    return ref;
  }

  return {
    dataDir,
    kbFilesTable: testbed.aws?.tableNames.kbFiles,
    janitorQueueUrl: testbed.aws?.queueUrls.janitor,
    adapters,
    knowledgeBase,
    service,
    metrics,
    projects: testbed.projects,
    files,
    kbFiles,
    leases: createLeasesRepository(adapters.tables),
    startConsumer: () =>
      testbed.consume({ consumer: 'janitor', handler: service.handleEvent, waitTimeSeconds: 1 }),
    seedFile,
    async retrieve(tenantId, projectId, fileIds, query) {
      const live = await kbFiles.getMany(fileIds);
      const tenant = { tenantId, userId: 'user-1', email: undefined, tier: 'free' };
      const filter = buildRetrievalFilter(tenant, projectId, live);
      return knowledgeBase.retrieve(query, filter, { k: 10 });
    },
    async close() {
      await service.sweeper.stop();
      await testbed.close();
    },
  };
}

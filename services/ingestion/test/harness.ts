import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createEvent,
  DEFAULT_TIERS,
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
  createServiceTestbed,
  openTestKnowledgeBase,
  waitFor,
  type ServiceTestbedOptions,
} from '@jitkb/shared/testing';
import { createIngestionService, type IngestionService } from '../src/app';
import { configSchema, type Config } from '../src/config';

export { waitFor };

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

async function startHarness(
  mode: ServiceTestbedOptions<Config>['mode'],
  options: HarnessOptions,
): Promise<Harness> {
  const testbed = await createServiceTestbed({
    service: 'ingestion',
    schema: configSchema,
    mode,
    tiers: options.tiers ?? TEST_TIERS,
    // Small chunks, so that files have several and duplicates would show.
    env: { INGEST_CHUNK_SIZE: '120', INGEST_CHUNK_OVERLAP: '20', ...options.env },
  });
  const { adapters, config, files, metrics, tiers } = testbed;
  const knowledgeBase = await openTestKnowledgeBase(testbed);
  const service = createIngestionService({
    adapters,
    knowledgeBase: options.wrapKnowledgeBase?.(knowledgeBase) ?? knowledgeBase,
    log: testbed.log,
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
  const events: EventEnvelope[] = [];
  const handled: EventEnvelope[] = [];
  testbed.consume({
    consumer: 'chat',
    handler: async ({ event }) => void events.push(event),
    waitTimeSeconds: 1,
  });

  return {
    config,
    adapters,
    knowledgeBase,
    service,
    metrics,
    files,
    kbFiles: testbed.kbFiles,
    events,
    handled,
    deliver: (event, receiveCount = 1) =>
      service.handleEvent({ event, receiveCount, correlationId: `corr-${event.id}` }),
    async addFile(tenantId, fixture, contentType, projectId = nextId('p')) {
      const body = await readFile(path.join(FIXTURES, fixture));
      const ref = { tenantId, projectId, fileId: nextId('f') };
      return testbed.storeUploadedFile(ref, { name: fixture, contentType, body });
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
      return testbed.consume({
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
    close: () => testbed.close(),
  };
}

/** The worker on the embedded adapters in a temporary data directory. */
export function startEmbeddedHarness(options: HarnessOptions = {}): Promise<Harness> {
  return startHarness('embedded', options);
}

/** The worker on SNS/SQS, DynamoDB and S3 of moto's server, with a local knowledge base. */
export function startAwsHarness(options: HarnessOptions = {}): Promise<Harness> {
  return startHarness('aws', options);
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import { createAdapters, type Adapters } from '../adapters';
import { createKnowledgeBase, type KnowledgeBaseEnv } from '../adapters/knowledge-base';
import type { ModeConfig } from '../config/base';
import { loadConfig } from '../config/load-config';
import { createLogger, type Logger } from '../logging/logger';
import { createMetrics, type ServiceMetrics } from '../metrics/metrics';
import type { Consumption, EventBus } from '../ports/event-bus';
import type { KnowledgeBase } from '../ports/knowledge-base';
import { objectKey } from '../ports/object-store';
import {
  createFilesRepository,
  createKbFilesRepository,
  createProjectsRepository,
  type FileRecord,
  type FileRef,
  type FilesRepository,
  type KbFilesRepository,
  type ProjectsRepository,
} from '../repositories';
import { DEFAULT_TIERS, type TierConfig } from '../tiers';
import { provisionTestAws, type TestAwsResources } from './aws';

/** The default tiers, no tenant pinned to one. */
export const DEFAULT_TEST_TIERS: TierConfig = { tiers: DEFAULT_TIERS, tenants: {} };

export interface ServiceTestbedOptions<C extends ModeConfig> {
  /** Names the logger, the metrics registry and the temporary folder. */
  service: string;
  /** The service's config schema; the testbed's variables are parsed with it. */
  schema: z.ZodType<C, unknown>;
  /** Variables of the service's own, over those of the mode. */
  env?: Record<string, string>;
  /**
   * `embedded` (the default): the local adapters in the data directory. `aws`: SNS/SQS, DynamoDB
   * and S3 of moto's server, on resources of the testbed's own, and the local knowledge base in
   * the data directory.
   */
  mode?: 'embedded' | 'aws';
  /** Another testbed's data directory, for a second replica on the same stores; kept on close. */
  dataDir?: string;
  tiers?: TierConfig;
}

/** One service's dependencies in a test: configuration, adapters, repositories, cleanup. */
export interface ServiceTestbed<C extends ModeConfig> {
  config: C;
  /** Where the embedded stores and the local knowledge base live. */
  dataDir: string;
  /** The emulator's resources (aws mode only). */
  aws: TestAwsResources | undefined;
  log: Logger;
  metrics: ServiceMetrics;
  tiers: TierConfig;
  adapters: Adapters;
  projects: ProjectsRepository;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  /** Starts a consumer on the bus, stopped first on close. */
  consume(options: Parameters<EventBus['consume']>[0]): Consumption;
  /** Stores `body` as a file's object and records the file as uploaded. */
  storeUploadedFile(ref: FileRef, file: StoredFile): Promise<FileRecord>;
  /** Runs on close, before what was registered earlier. */
  onClose(cleanup: () => Promise<void>): void;
  /** Stops the consumers, then closes the adapters and removes the data directory. */
  close(): Promise<void>;
}

export interface StoredFile {
  name: string;
  contentType: string;
  body: Buffer;
}

/**
 * A service's configuration and adapters for a test, in a temporary data directory, on the
 * embedded adapters or on moto's server. The service itself is the caller's to create.
 */
export async function createServiceTestbed<C extends ModeConfig>(
  options: ServiceTestbedOptions<C>,
): Promise<ServiceTestbed<C>> {
  const ownsDir = options.dataDir === undefined;
  const dataDir =
    options.dataDir ?? (await mkdtemp(path.join(tmpdir(), `jitkb-${options.service}-`)));
  const cleanups: Array<() => Promise<void>> = [];
  if (ownsDir) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  try {
    const aws = options.mode === 'aws' ? await provisionTestAws(options.service) : undefined;
    const modeEnv = aws
      ? { ...aws.env, JITKB_KB_PATH: path.join(dataDir, 'kb.db') }
      : { JITKB_MODE: 'embedded', JITKB_DATA_DIR: dataDir };
    const config: C = loadConfig(options.schema, { ...modeEnv, ...options.env });
    const log = createLogger({
      service: options.service,
      level: process.env.TEST_LOG_LEVEL ?? 'silent',
    });
    const adapters = createAdapters(config, { log });
    cleanups.push(() => adapters.close());
    const consumptions: Consumption[] = [];
    const files = createFilesRepository(adapters.tables);
    return {
      config,
      dataDir,
      aws,
      log,
      metrics: createMetrics(options.service, { defaults: false }),
      tiers: options.tiers ?? DEFAULT_TEST_TIERS,
      adapters,
      projects: createProjectsRepository(adapters.tables),
      files,
      kbFiles: createKbFilesRepository(adapters.tables),
      consume(consumeOptions) {
        const consumption = adapters.bus.consume(consumeOptions);
        consumptions.push(consumption);
        return consumption;
      },
      async storeUploadedFile(ref, file) {
        const key = objectKey(ref.tenantId, ref.projectId, ref.fileId);
        await adapters.objects.put(key, file.body, file.contentType);
        await files.create({
          ...ref,
          name: file.name,
          contentType: file.contentType,
          size: file.body.length,
          objectKey: key,
        });
        const uploaded = await files.markUploaded(ref);
        if (!uploaded) throw new Error(`could not mark file ${ref.fileId} uploaded`);
        return uploaded;
      },
      onClose(cleanup) {
        cleanups.push(cleanup);
      },
      async close() {
        await Promise.all(consumptions.map((consumption) => consumption.stop()));
        await runCleanups(cleanups);
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

export interface TestKnowledgeBaseOptions {
  /** Another replica's knowledge base, which that replica closes. */
  shared?: KnowledgeBase;
  /** false: without the embedding model, as a service that only removes chunks opens it. */
  embeddings?: boolean;
}

/** The knowledge base the testbed's configuration names, closed with the testbed. */
export async function openTestKnowledgeBase(
  testbed: ServiceTestbed<ModeConfig & KnowledgeBaseEnv>,
  options: TestKnowledgeBaseOptions = {},
): Promise<KnowledgeBase> {
  if (options.shared) return options.shared;
  const kb = await createKnowledgeBase(testbed.config, {
    log: testbed.log,
    ...(options.embeddings === undefined ? {} : { embeddings: options.embeddings }),
  });
  testbed.onClose(() => kb.close());
  return kb.knowledgeBase;
}

async function runCleanups(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

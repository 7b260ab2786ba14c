import {
  createFilesRepository,
  createKbFilesRepository,
  createServiceApp,
  createTierRateLimiters,
  finishApp,
  type Adapters,
  type KnowledgeBase,
  type Logger,
  type ReceivedEvent,
  type ServiceMetrics,
  type TierConfig,
  type TierRateLimiters,
} from '@jitkb/shared';
import type { Express } from 'express';
import type { ChunkOptions } from './domain/chunk';
import type { ExtractOptions } from './domain/extract';
import { createIngestFile } from './domain/ingest-file';
import { createIngestRequest } from './domain/ingest-request';
import { createIngestionMetrics } from './domain/ingestion-metrics';
import { createEventHandler } from './handlers';

export interface AppDeps {
  adapters: Pick<Adapters, 'tables' | 'objects' | 'bus' | 'rateLimiters'>;
  knowledgeBase: KnowledgeBase;
  log: Logger;
  metrics: ServiceMetrics;
  tiers: TierConfig;
  chunking: ChunkOptions;
  /** Seconds after which another request may take over an abandoned `ingesting` file. */
  claimStaleSeconds: number;
  extraction?: ExtractOptions;
  /** The per-tier ingestion limiters; by default the shared `ingest-jobs` ones (per minute). */
  limiters?: TierRateLimiters;
  now?: () => Date;
}

export interface IngestionService {
  app: Express;
  /** The handler of the ingestion queue (`files.ingest-requested`). */
  handleEvent: (received: ReceivedEvent) => Promise<void>;
}

/** Wiring only: the queue handler and the probes get the ports they need. */
export function createIngestionService(deps: AppDeps): IngestionService {
  const { tables, objects, bus } = deps.adapters;
  const files = createFilesRepository(tables, deps.now ? { now: deps.now } : {});
  const kbFiles = createKbFilesRepository(tables);
  const metrics = createIngestionMetrics(deps.metrics);
  const clock = deps.now ? { now: deps.now } : {};
  const ingestFile = createIngestFile({
    files,
    kbFiles,
    objects,
    knowledgeBase: deps.knowledgeBase,
    bus,
    metrics,
    chunking: deps.chunking,
    ...(deps.extraction ? { extraction: deps.extraction } : {}),
    ...clock,
  });
  const ingestRequest = createIngestRequest({
    files,
    bus,
    tiers: deps.tiers,
    limiters:
      deps.limiters ??
      createTierRateLimiters(deps.adapters.rateLimiters, deps.tiers, 'ingest-jobs'),
    ingestFile,
    metrics,
    claimStaleSeconds: deps.claimStaleSeconds,
    ...clock,
  });

  const app = createServiceApp({
    service: 'ingestion',
    log: deps.log,
    metrics: deps.metrics,
    readiness: [
      // Reads of keys nobody has: they prove the stores answer without touching anyone's data.
      {
        name: 'knowledge-base',
        check: async () => void (await deps.knowledgeBase.countChunks('-')),
      },
      { name: 'tables', check: async () => void (await kbFiles.get('-')) },
    ],
  });
  finishApp(app, deps.log);
  return { app, handleEvent: createEventHandler({ ingestRequest, log: deps.log }) };
}

/** The HTTP app alone. */
export function createApp(deps: AppDeps): Express {
  return createIngestionService(deps).app;
}

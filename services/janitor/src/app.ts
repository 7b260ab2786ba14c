import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createFilesRepository,
  createKbFilesRepository,
  createLeasesRepository,
  createProjectsRepository,
  createServiceApp,
  finishApp,
  type Adapters,
  type KnowledgeBase,
  type Logger,
  type ReceivedEvent,
  type ServiceMetrics,
} from '@jitkb/shared';
import type { Express } from 'express';
import { createDeleteProject } from './domain/delete-project';
import { createExpireFile } from './domain/expire-file';
import { createJanitorMetrics } from './domain/janitor-metrics';
import { createSweeper, type Sweeper } from './domain/sweeper';
import { createEventHandler } from './handlers';

export interface AppDeps {
  adapters: Pick<Adapters, 'tables' | 'objects' | 'bus'>;
  knowledgeBase: KnowledgeBase;
  log: Logger;
  metrics: ServiceMetrics;
  /** JITKB_SWEEP_INTERVAL_SECONDS. */
  sweepIntervalSeconds: number;
  /** The sweeper lease's duration (default three intervals, at least 10 s). */
  sweepLeaseSeconds?: number;
  /** This replica's name in the lease table (default host name, pid and a random suffix). */
  holderId?: string;
  now?: () => Date;
}

export interface JanitorService {
  app: Express;
  /** The handler of the janitor queue (`file.expired`, `project.deleted`). */
  handleEvent: (received: ReceivedEvent) => Promise<void>;
  /** Not started: main starts it once the consumer runs. */
  sweeper: Sweeper;
}

/** Wiring only: the queue handler, the sweeper and the probes get the ports they need. */
export function createJanitorService(deps: AppDeps): JanitorService {
  const { tables, objects, bus } = deps.adapters;
  const now = deps.now;
  const clock = now ? { now } : {};
  const files = createFilesRepository(tables, clock);
  const kbFiles = createKbFilesRepository(tables);
  const projects = createProjectsRepository(tables);
  const leases = createLeasesRepository(tables, now ? { now: () => now().getTime() } : {});
  const metrics = createJanitorMetrics(deps.metrics);
  const { knowledgeBase, log } = deps;

  const expireFile = createExpireFile({ files, kbFiles, knowledgeBase, metrics, ...clock });
  const deleteProject = createDeleteProject({
    projects,
    files,
    kbFiles,
    knowledgeBase,
    objects,
    metrics,
  });
  const sweeper = createSweeper({
    kbFiles,
    leases,
    bus,
    log: log.child({ component: 'sweeper' }),
    metrics,
    holderId: deps.holderId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    intervalSeconds: deps.sweepIntervalSeconds,
    ...(deps.sweepLeaseSeconds !== undefined ? { leaseSeconds: deps.sweepLeaseSeconds } : {}),
    ...clock,
  });

  const app = createServiceApp({
    service: 'janitor',
    log,
    metrics: deps.metrics,
    // A read of a key nobody has: proves the table store answers without touching anyone's data.
    readiness: [{ name: 'tables', check: async () => void (await kbFiles.get('-')) }],
  });
  finishApp(app, log);
  return { app, handleEvent: createEventHandler({ expireFile, deleteProject, log }), sweeper };
}

/** The HTTP app alone. */
export function createApp(deps: AppDeps): Express {
  return createJanitorService(deps).app;
}

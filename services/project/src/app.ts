import {
  createFilesRepository,
  createProjectsRepository,
  createServiceApp,
  finishApp,
  type Adapters,
  type Logger,
  type ServiceMetrics,
  type TierConfig,
} from '@jitkb/shared';
import type { Express, RequestHandler } from 'express';
import { createFileUseCases } from './domain/files';
import { createProjectUseCases } from './domain/projects';
import { createGetTenant } from './domain/tenant-usage';
import { createEventHandler } from './handlers';
import { filesRouter } from './routes/files.routes';
import { projectsRouter } from './routes/projects.routes';
import { tenantRouter } from './routes/tenant.routes';

export interface AppDeps {
  adapters: Pick<Adapters, 'tables' | 'objects' | 'bus'>;
  log: Logger;
  metrics: ServiceMetrics;
  /** Verifies the bearer token and sets `req.tenant`; runs before every /v1 route. */
  authenticate: RequestHandler;
  tiers: TierConfig;
  /** Queries a tenant made this minute (the gateway's shared rate limiter). */
  queryUsage: (tenantId: string) => Promise<number>;
  /** How long upload URLs stay valid (default 15 minutes). */
  uploadExpiresInSeconds?: number;
}

export interface ProjectService {
  app: Express;
  /** The handler of the project queue (`file.ingested`, `file.ingest-failed`). */
  handleEvent: ReturnType<typeof createEventHandler>;
}

/** Wiring only: routes and handlers get the ports they need. */
export function createProjectService(deps: AppDeps): ProjectService {
  const { tables, objects, bus } = deps.adapters;
  const projects = createProjectsRepository(tables);
  const files = createFilesRepository(tables);

  const app = createServiceApp({
    service: 'project',
    log: deps.log,
    metrics: deps.metrics,
    // A read of a key nobody has: proves the table store answers.
    readiness: [{ name: 'tables', check: async () => void (await projects.get('-', '-')) }],
  });
  app.use('/v1', deps.authenticate);
  app.use(projectsRouter(createProjectUseCases({ projects, bus })));
  app.use(
    filesRouter(
      createFileUseCases({
        projects,
        files,
        objects,
        bus,
        tiers: deps.tiers,
        metrics: deps.metrics,
        ...(deps.uploadExpiresInSeconds !== undefined
          ? { uploadExpiresInSeconds: deps.uploadExpiresInSeconds }
          : {}),
      }),
    ),
  );
  app.use(
    tenantRouter(
      createGetTenant({ projects, files, tiers: deps.tiers, queryUsage: deps.queryUsage }),
    ),
  );
  finishApp(app, deps.log);
  return { app, handleEvent: createEventHandler({ files, log: deps.log }) };
}

/** The HTTP app alone. */
export function createApp(deps: AppDeps): Express {
  return createProjectService(deps).app;
}

import {
  createServiceApp,
  finishApp,
  type DevIssuer,
  type Logger,
  type ServiceMetrics,
  type TierConfig,
  type TierRateLimiters,
} from '@jitkb/shared';
import type { Express, RequestHandler } from 'express';
import { createOpenApiDocument } from './openapi';
import { API_ROUTES, type Upstream } from './routes/api-routes';
import { apiRouter } from './routes/api.routes';
import { devOidcRouter } from './routes/dev-oidc.routes';
import { openApiRouter } from './routes/openapi.routes';
import { proxyRoutes } from './routes/proxy.routes';
import { queryLimit } from './routes/query-limit';
import { uiRouter, type UiRouterDeps } from './routes/ui.routes';

export interface AppDeps {
  log: Logger;
  metrics: ServiceMetrics;
  version: string;
  /** Verifies the bearer token and sets `req.tenant` (createServiceAuth). */
  authenticate: RequestHandler;
  tiers: TierConfig;
  /** The `queries` limiters, one per tier, shared by every replica. */
  queryLimits: TierRateLimiters;
  upstreams: Record<Upstream, string>;
  /** Longest silence from an upstream (ms). */
  upstreamTimeoutMs: number;
  /** Embedded mode only: the dev OIDC issuer's routes exist only when it is given. */
  devIssuer?: DevIssuer | undefined;
  /** Embedded mode only: `PUT /uploads/:token` of the local object store. */
  uploadRouter?: RequestHandler | undefined;
  /** The web UI at `/` and its public settings. */
  ui?: UiRouterDeps | undefined;
}

/**
 * Wiring only. Order matters: public routes, then authentication, validation, limits, proxies, and
 * the web UI last, so that API requests do not look for a static file first.
 */
export function createApp(deps: AppDeps): Express {
  const app = createServiceApp({ service: 'gateway', log: deps.log, metrics: deps.metrics });
  // Before any body parser: uploads are streamed to disk.
  if (deps.uploadRouter) app.use(deps.uploadRouter);
  if (deps.devIssuer) app.use(devOidcRouter({ issuer: deps.devIssuer, tiers: deps.tiers }));
  app.use(openApiRouter(createOpenApiDocument({ version: deps.version })));
  app.use('/v1', deps.authenticate);
  app.use(apiRouter(API_ROUTES, queryLimit({ limits: deps.queryLimits, metrics: deps.metrics })));
  app.use(
    ...proxyRoutes({ upstreams: deps.upstreams, log: deps.log, timeoutMs: deps.upstreamTimeoutMs }),
  );
  if (deps.ui) app.use(uiRouter(deps.ui));
  return finishApp(app, deps.log);
}

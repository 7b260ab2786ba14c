import {
  createServiceApp,
  finishApp,
  type Adapters,
  type Logger,
  type ServiceMetrics,
} from '@jitkb/shared';
import type { Express } from 'express';

export interface AppDeps {
  adapters: Adapters;
  log: Logger;
  metrics: ServiceMetrics;
}

/** Wiring only: routes and handlers get the ports they need. */
export function createApp(deps: AppDeps): Express {
  const app = createServiceApp({ service: 'chat', log: deps.log, metrics: deps.metrics });
  return finishApp(app, deps.log);
}

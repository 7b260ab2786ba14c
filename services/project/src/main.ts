import {
  createAdapters,
  createLogger,
  createServiceAuth,
  createTierRateLimiters,
  createMetrics,
  loadConfig,
  loadConfigOrExit,
  loadTierConfig,
  runService,
  watchDeadLetters,
} from '@jitkb/shared';
import { createProjectService } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadConfig(configSchema), 'project');
  const tiers = loadConfigOrExit(() => loadTierConfig(config), 'project');
  const authenticate = loadConfigOrExit(() => createServiceAuth(config, tiers), 'project');
  const log = createLogger({
    service: 'project',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const metrics = createMetrics('project');
  const adapters = createAdapters(config, { log });
  // The limiter the gateway enforces, read here for the tenant's usage.
  const queries = createTierRateLimiters(adapters.rateLimiters, tiers, 'queries');
  const { app, handleEvent } = createProjectService({
    adapters,
    log,
    metrics,
    tiers,
    authenticate,
    queryUsage: (tenantId) => queries.consumed(tenantId),
  });
  const consumer = adapters.bus.consume({ consumer: 'project', handler: handleEvent });
  watchDeadLetters(metrics, adapters.bus, 'project', log);
  await runService({
    app,
    port: config.PORT,
    log,
    onShutdown: [() => consumer.stop(), () => adapters.close()],
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `project: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

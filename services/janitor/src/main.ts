import {
  createAdapters,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  loadConfig,
  loadConfigOrExit,
  runService,
  watchDeadLetters,
} from '@jitkb/shared';
import { createJanitorService } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadConfig(configSchema), 'janitor');
  const log = createLogger({
    service: 'janitor',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const metrics = createMetrics('janitor');
  const adapters = createAdapters(config, { log });
  // The janitor only removes chunks: no embedding model.
  const kb = await createKnowledgeBase(config, { log, embeddings: false });
  const { app, handleEvent, sweeper } = createJanitorService({
    adapters,
    knowledgeBase: kb.knowledgeBase,
    log,
    metrics,
    sweepIntervalSeconds: config.JITKB_SWEEP_INTERVAL_SECONDS,
  });
  const consumer = adapters.bus.consume({
    consumer: 'janitor',
    handler: handleEvent,
    visibilityTimeoutSeconds: config.JANITOR_VISIBILITY_TIMEOUT_SECONDS,
  });
  watchDeadLetters(metrics, adapters.bus, 'janitor', log);
  sweeper.start();
  await runService({
    app,
    port: config.PORT,
    log,
    // The sweeper first (it releases its lease while the tables are open), then the consumer's
    // handlers in flight, then the stores.
    onShutdown: [
      () => sweeper.stop(),
      () => consumer.stop(),
      () => adapters.close(),
      () => kb.close(),
    ],
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `janitor: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

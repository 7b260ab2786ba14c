import {
  createAdapters,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  loadConfig,
  loadConfigOrExit,
  loadTierConfig,
  runService,
  watchDeadLetters,
} from '@jitkb/shared';
import { createIngestionService } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadConfig(configSchema), 'ingestion');
  const tiers = loadConfigOrExit(() => loadTierConfig(config), 'ingestion');
  const log = createLogger({
    service: 'ingestion',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const metrics = createMetrics('ingestion');
  const adapters = createAdapters(config, { log });
  const kb = await createKnowledgeBase(config, { log });
  const { app, handleEvent } = createIngestionService({
    adapters,
    knowledgeBase: kb.knowledgeBase,
    log,
    metrics,
    tiers,
    chunking: { chunkSize: config.INGEST_CHUNK_SIZE, chunkOverlap: config.INGEST_CHUNK_OVERLAP },
    claimStaleSeconds: config.INGEST_CLAIM_STALE_SECONDS,
  });
  const consumer = adapters.bus.consume({
    consumer: 'ingestion',
    handler: handleEvent,
    visibilityTimeoutSeconds: config.INGEST_VISIBILITY_TIMEOUT_SECONDS,
    batchSize: config.INGEST_CONCURRENCY,
  });
  watchDeadLetters(metrics, adapters.bus, 'ingestion', log);
  await runService({
    app,
    port: config.PORT,
    log,
    // The consumer first: handlers in flight finish while the stores are still open.
    onShutdown: [() => consumer.stop(), () => adapters.close(), () => kb.close()],
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `ingestion: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

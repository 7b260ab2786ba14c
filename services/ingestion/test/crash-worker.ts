/*
 * An ingestion worker that stops dead inside the knowledge-base write, for crash.test.ts: it
 * prints `ingesting <fileId>` once it holds the claim and the message, and then waits forever,
 * until the test kills its process.
 */
import {
  createAdapters,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  loadConfig,
  loadTierConfig,
} from '@jitkb/shared';
import { createIngestionService } from '../src/app';
import { configSchema } from '../src/config';
import { wrapKnowledgeBase } from './harness';

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  const log = createLogger({ service: 'ingestion', level: 'silent' });
  const adapters = createAdapters(config, { log });
  const kb = await createKnowledgeBase(config, { log });
  const { handleEvent } = createIngestionService({
    adapters,
    knowledgeBase: wrapKnowledgeBase(kb.knowledgeBase, {
      async ingest(document) {
        process.stdout.write(`ingesting ${document.metadata.fileId}\n`);
        return new Promise(() => undefined);
      },
    }),
    log,
    metrics: createMetrics('ingestion', { defaults: false }),
    tiers: loadTierConfig(config),
    chunking: { chunkSize: config.INGEST_CHUNK_SIZE, chunkOverlap: config.INGEST_CHUNK_OVERLAP },
    claimStaleSeconds: config.INGEST_CLAIM_STALE_SECONDS,
  });
  adapters.bus.consume({
    consumer: 'ingestion',
    handler: handleEvent,
    visibilityTimeoutSeconds: config.INGEST_VISIBILITY_TIMEOUT_SECONDS,
    waitTimeSeconds: 1,
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`crash worker: ${String(error)}\n`);
  process.exit(1);
});

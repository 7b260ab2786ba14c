import {
  createAdapters,
  createLogger,
  createMetrics,
  loadConfig,
  loadConfigOrExit,
  runService,
} from '@jitkb/shared';
import { createApp } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadConfig(configSchema), 'gateway');
  const log = createLogger({
    service: 'gateway',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const metrics = createMetrics('gateway');
  const adapters = createAdapters(config, { log });
  const app = createApp({ adapters, log, metrics });
  await runService({ app, port: config.PORT, log, onShutdown: [() => adapters.close()] });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `gateway: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

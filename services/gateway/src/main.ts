import {
  createAdapters,
  createLogger,
  createMetrics,
  loadConfig,
  loadConfigOrExit,
  loadTierConfig,
  resolveAuthSettings,
  runService,
} from '@jitkb/shared';
import { configSchema } from './config';
import { createGateway } from './gateway';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => {
    const loaded = loadConfig(configSchema);
    // Checked here so that a bad issuer or tier config stops the process with one clear line.
    resolveAuthSettings(loaded);
    loadTierConfig(loaded);
    return loaded;
  }, 'gateway');
  const log = createLogger({
    service: 'gateway',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const metrics = createMetrics('gateway');
  const adapters = createAdapters(config, { log });
  const app = await createGateway(config, { adapters, log, metrics });
  await runService({ app, port: config.PORT, log, onShutdown: [() => adapters.close()] });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `gateway: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

import {
  createAdapters,
  createGenerator,
  createKnowledgeBase,
  createLogger,
  createMetrics,
  createServiceAuth,
  loadConfig,
  loadConfigOrExit,
  loadTierConfig,
  runService,
  watchDeadLetters,
} from '@jitkb/shared';
import { createChatService } from './app';
import { configSchema } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit(() => loadConfig(configSchema), 'chat');
  const tiers = loadConfigOrExit(() => loadTierConfig(config), 'chat');
  const authenticate = loadConfigOrExit(() => createServiceAuth(config, tiers), 'chat');
  const log = createLogger({
    service: 'chat',
    version: config.JITKB_VERSION,
    level: config.LOG_LEVEL,
  });
  const generator = loadConfigOrExit(() => createGenerator(config, { log }), 'chat');
  const metrics = createMetrics('chat');
  const adapters = createAdapters(config, { log });
  const kb = await createKnowledgeBase(config, { log });
  const { app, handleEvent } = createChatService({
    adapters,
    knowledgeBase: kb.knowledgeBase,
    generator,
    log,
    metrics,
    authenticate,
    tiers,
    settings: {
      minScore: config.CHAT_MIN_SCORE,
      k: config.CHAT_RETRIEVE_K,
      historyTurns: config.CHAT_HISTORY_TURNS,
      sessionIdleSeconds: config.CHAT_SESSION_IDLE_SECONDS,
    },
  });
  const consumer = adapters.bus.consume({ consumer: 'chat', handler: handleEvent });
  watchDeadLetters(metrics, adapters.bus, 'chat', log);
  await runService({
    app,
    port: config.PORT,
    log,
    onShutdown: [() => consumer.stop(), () => kb.close(), () => adapters.close()],
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `chat: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

import {
  createChatHistoryRepository,
  createChatsRepository,
  createFilesRepository,
  createKbFilesRepository,
  createProjectsRepository,
  createServiceApp,
  finishApp,
  type Adapters,
  type Generator,
  type KnowledgeBase,
  type Logger,
  type ServiceMetrics,
  type TierConfig,
} from '@jitkb/shared';
import type { Express, RequestHandler } from 'express';
import { createAsk, type AskSettings } from './domain/ask';
import { createChatUseCases } from './domain/chats';
import { createTtlRefresher } from './domain/file-ttl';
import { createListMessages } from './domain/messages';
import { createEventHandler } from './handlers';
import { chatsRouter } from './routes/chats.routes';

export interface AppDeps {
  adapters: Pick<Adapters, 'tables' | 'bus'>;
  knowledgeBase: KnowledgeBase;
  generator: Generator;
  log: Logger;
  metrics: ServiceMetrics;
  /** Verifies the bearer token and sets `req.tenant`; runs before every /v1 route. */
  authenticate: RequestHandler;
  tiers: TierConfig;
  settings: AskSettings;
  /** The clock (tests move it). */
  now?: () => Date;
}

export interface ChatService {
  app: Express;
  /** The handler of the chat queue (`file.ingested`, `file.ingest-failed`). */
  handleEvent: ReturnType<typeof createEventHandler>;
}

/** Wiring only: routes and handlers get the ports they need. */
export function createChatService(deps: AppDeps): ChatService {
  const { tables, bus } = deps.adapters;
  const now = deps.now ?? (() => new Date());
  const chats = createChatsRepository(tables);
  const history = createChatHistoryRepository(tables, { now });
  const files = createFilesRepository(tables, { now });
  const kbFiles = createKbFilesRepository(tables);
  const projects = createProjectsRepository(tables);
  const refreshTtl = createTtlRefresher({ kbFiles, files, tiers: deps.tiers, now });
  const chatUseCases = createChatUseCases({
    chats,
    projects,
    files,
    kbFiles,
    bus,
    refreshTtl,
    now,
  });
  const ask = createAsk({
    chatUseCases,
    chats,
    history,
    kbFiles,
    knowledgeBase: deps.knowledgeBase,
    generator: deps.generator,
    refreshTtl,
    settings: deps.settings,
    now,
    metrics: deps.metrics,
  });

  const app = createServiceApp({
    service: 'chat',
    log: deps.log,
    metrics: deps.metrics,
    // A read of a key nobody has: proves the table store answers.
    readiness: [{ name: 'tables', check: async () => void (await chats.get('-', '-')) }],
  });
  app.use('/v1', deps.authenticate);
  app.use(
    chatsRouter({
      chats: chatUseCases,
      ask,
      listMessages: createListMessages({ chats, history }),
      log: deps.log,
    }),
  );
  finishApp(app, deps.log);
  return { app, handleEvent: createEventHandler({ files, log: deps.log }) };
}

/** The HTTP app alone. */
export function createApp(deps: AppDeps): Express {
  return createChatService(deps).app;
}

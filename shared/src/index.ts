export * from './errors';
export * from './config';
export * from './logging';
export * from './metrics';
export * from './events';
export * from './tiers';
export * from './ports';
export * from './http';
export * from './adapters';
export * from './adapters/knowledge-base';
export * from './knowledge-base/filter';
export * from './adapters/generator';
export * from './adapters/local/extractive-generator';
export { OpenAiGenerator, type OpenAiGeneratorOptions } from './adapters/openai-generator';
export { SqliteEventBus, type SqliteEventBusOptions } from './adapters/local/sqlite-event-bus';
export {
  SqliteTableStore,
  type SqliteTableStoreOptions,
} from './adapters/local/sqlite-table-store';
export * from './auth';
export * from './repositories';
export * from './api/schemas';
export * from './api/chat-schemas';
export * from './files/content-types';

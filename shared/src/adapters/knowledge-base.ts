import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/load-config';
import type { ModeConfig } from '../config/base';
import type { Logger } from '../logging/logger';
import type { Embedder } from '../ports/embedder';
import type { KnowledgeBase } from '../ports/knowledge-base';
import { createLocalEmbedder } from './local/onnx-embedder';
import { SqliteKnowledgeBase } from './local/sqlite-knowledge-base';

/** The knowledge-base variables; service schemas spread them in (`...knowledgeBaseEnv`). */
export const knowledgeBaseEnv = {
  /** `local`: hybrid search in SQLite (the default); `bedrock`: Amazon Bedrock Knowledge Bases. */
  KNOWLEDGE_BASE: z.enum(['local', 'bedrock']).default('local'),
  /**
   * The local knowledge base's SQLite file; defaults to `${JITKB_DATA_DIR}/kb.db` in embedded
   * mode, and is required in aws mode with the local knowledge base (there is no data directory).
   */
  JITKB_KB_PATH: z.string().min(1).optional(),
  /**
   * The local embedding model's folder (with jitkb-model.json); defaults to
   * `<repo>/models/all-minilm-l6-v2-int8`. Without a model the local knowledge base is BM25 only.
   */
  JITKB_EMBEDDING_MODEL_DIR: z.string().min(1).optional(),
  BEDROCK_KNOWLEDGE_BASE_ID: z.string().min(1).optional(),
  /** The CUSTOM data source that documents are ingested into. */
  BEDROCK_DATA_SOURCE_ID: z.string().min(1).optional(),
};

export type KnowledgeBaseEnv = z.output<z.ZodObject<typeof knowledgeBaseEnv>>;

export interface KnowledgeBaseAdapters {
  knowledgeBase: KnowledgeBase;
  /** The local embedder; absent with Bedrock, and when no model is installed (BM25 only). */
  embedder?: Embedder;
  close(): Promise<void>;
}

export interface CreateKnowledgeBaseOptions {
  log: Logger;
  /**
   * Default true. False for a service that only removes chunks (the janitor): the local knowledge
   * base then opens without loading the embedding model, which saves its memory and start-up time.
   */
  embeddings?: boolean;
}

/**
 * The one place that picks the knowledge base, for every service that reads or writes it
 * (ingestion, chat, janitor). The Bedrock adapter, and with it its SDK, is loaded only when
 * `KNOWLEDGE_BASE=bedrock`. A missing variable throws ConfigError naming it.
 */
export async function createKnowledgeBase(
  config: ModeConfig & KnowledgeBaseEnv,
  options: CreateKnowledgeBaseOptions,
): Promise<KnowledgeBaseAdapters> {
  if (config.KNOWLEDGE_BASE === 'bedrock') return createBedrock(config, options);
  return createLocal(config, options);
}

function required(value: string | undefined, variable: string, when: string): string {
  if (value === undefined) {
    throw new ConfigError([variable], `invalid configuration: ${variable}: required ${when}`);
  }
  return value;
}

function localPath(config: ModeConfig & KnowledgeBaseEnv): string {
  if (config.JITKB_KB_PATH !== undefined) return path.resolve(config.JITKB_KB_PATH);
  if (config.JITKB_MODE === 'embedded') return path.resolve(config.JITKB_DATA_DIR, 'kb.db');
  return required(
    undefined,
    'JITKB_KB_PATH',
    'when JITKB_MODE=aws and KNOWLEDGE_BASE=local (or set KNOWLEDGE_BASE=bedrock)',
  );
}

async function createLocal(
  config: ModeConfig & KnowledgeBaseEnv,
  options: CreateKnowledgeBaseOptions,
): Promise<KnowledgeBaseAdapters> {
  const file = localPath(config);
  mkdirSync(path.dirname(file), { recursive: true });
  const embedder =
    options.embeddings === false
      ? undefined
      : await createLocalEmbedder({
          ...(config.JITKB_EMBEDDING_MODEL_DIR
            ? { modelDir: config.JITKB_EMBEDDING_MODEL_DIR }
            : {}),
          log: options.log,
        });
  const knowledgeBase = new SqliteKnowledgeBase({
    path: file,
    log: options.log,
    ...(embedder ? { embedder } : {}),
  });
  return {
    knowledgeBase,
    ...(embedder ? { embedder } : {}),
    close: () => knowledgeBase.close(),
  };
}

async function createBedrock(
  config: ModeConfig & KnowledgeBaseEnv,
  options: CreateKnowledgeBaseOptions,
): Promise<KnowledgeBaseAdapters> {
  const when = 'when KNOWLEDGE_BASE=bedrock';
  const knowledgeBaseId = required(
    config.BEDROCK_KNOWLEDGE_BASE_ID,
    'BEDROCK_KNOWLEDGE_BASE_ID',
    when,
  );
  const dataSourceId = required(config.BEDROCK_DATA_SOURCE_ID, 'BEDROCK_DATA_SOURCE_ID', when);
  // Loaded here only, so that the local mode never loads the Bedrock SDK.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { BedrockAgentClient } =
    require('@aws-sdk/client-bedrock-agent') as typeof import('@aws-sdk/client-bedrock-agent');
  const { BedrockAgentRuntimeClient } =
    require('@aws-sdk/client-bedrock-agent-runtime') as typeof import('@aws-sdk/client-bedrock-agent-runtime');
  const { BedrockKnowledgeBase } =
    require('./aws/bedrock-knowledge-base') as typeof import('./aws/bedrock-knowledge-base');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // No emulator serves Bedrock, so AWS_ENDPOINT_URL (LocalStack, moto) is not passed on: in
  // compose, the other APIs are emulated while Bedrock is the real one. Without aws mode the
  // SDK finds the region in its usual places (AWS_REGION, the shared config file).
  const clientConfig = config.JITKB_MODE === 'aws' ? { region: config.AWS_REGION } : {};
  const agent = new BedrockAgentClient(clientConfig);
  const runtime = new BedrockAgentRuntimeClient(clientConfig);
  const knowledgeBase = new BedrockKnowledgeBase({
    agent,
    runtime,
    knowledgeBaseId,
    dataSourceId,
    log: options.log,
  });
  return {
    knowledgeBase,
    async close() {
      agent.destroy();
      runtime.destroy();
    },
  };
}

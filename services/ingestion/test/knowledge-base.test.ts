import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  ConfigError,
  createKnowledgeBase,
  createLogger,
  loadConfig,
  type KnowledgeBaseAdapters,
} from '@jitkb/shared';
import { UNPROVISIONED_AWS_ENV } from '@jitkb/shared/testing';
import { BedrockKnowledgeBase } from '../../../shared/src/adapters/aws/bedrock-knowledge-base';
import { configSchema } from '../src/config';

function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: createLogger({ service: 'ingestion', level: 'info', destination }) };
}

describe('createKnowledgeBase', () => {
  let dir: string;
  let opened: KnowledgeBaseAdapters | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'jitkb-kb-factory-'));
  });
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the local knowledge base in the data directory by default, BM25 only without a model', async () => {
    const { lines, log } = capturingLogger();
    const config = loadConfig(configSchema, {
      JITKB_DATA_DIR: dir,
      JITKB_EMBEDDING_MODEL_DIR: path.join(dir, 'no-model'),
    });
    expect(config.KNOWLEDGE_BASE).toBe('local');
    opened = await createKnowledgeBase(config, { log });
    expect(opened.embedder).toBeUndefined();
    expect(lines.join('')).toContain('NO EMBEDDING MODEL INSTALLED');
    expect(existsSync(path.join(dir, 'kb.db'))).toBe(true);
    await expect(opened.knowledgeBase.countChunks('nothing')).resolves.toBe(0);
  });

  it('opens without the embedding model for a service that only removes chunks', async () => {
    const { lines, log } = capturingLogger();
    // The default model folder: installed, yet not loaded.
    const config = loadConfig(configSchema, { JITKB_DATA_DIR: dir });
    opened = await createKnowledgeBase(config, { log, embeddings: false });
    expect(opened.embedder).toBeUndefined();
    expect(lines.join('')).not.toMatch(/embedding model|NO EMBEDDING MODEL/);
    await expect(opened.knowledgeBase.delete(['nothing'])).resolves.toBeUndefined();
  });

  it('uses JITKB_KB_PATH, which the aws mode with a local knowledge base needs', async () => {
    const { log } = capturingLogger();
    const file = path.join(dir, 'nested', 'knowledge.db');
    const noModel = { JITKB_EMBEDDING_MODEL_DIR: path.join(dir, 'no-model') };
    const config = loadConfig(configSchema, {
      ...UNPROVISIONED_AWS_ENV,
      ...noModel,
      JITKB_KB_PATH: file,
    });
    opened = await createKnowledgeBase(config, { log });
    expect(existsSync(file)).toBe(true);

    const missing = loadConfig(configSchema, { ...UNPROVISIONED_AWS_ENV, ...noModel });
    const error = await createKnowledgeBase(missing, { log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['JITKB_KB_PATH']);
  });

  it('builds the Bedrock adapter only with its knowledge base and data source ids', async () => {
    const { log } = capturingLogger();
    const bedrock = { ...UNPROVISIONED_AWS_ENV, KNOWLEDGE_BASE: 'bedrock' };
    const error = await createKnowledgeBase(loadConfig(configSchema, bedrock), { log }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['BEDROCK_KNOWLEDGE_BASE_ID']);

    const config = loadConfig(configSchema, {
      ...bedrock,
      BEDROCK_KNOWLEDGE_BASE_ID: 'KB12345678',
      BEDROCK_DATA_SOURCE_ID: 'DS12345678',
    });
    opened = await createKnowledgeBase(config, { log });
    expect(opened.knowledgeBase).toBeInstanceOf(BedrockKnowledgeBase);
    expect(opened.embedder).toBeUndefined();
  });

  it('rejects an unknown knowledge base by variable name', () => {
    expect(() => loadConfig(configSchema, { KNOWLEDGE_BASE: 'pinecone' })).toThrow(
      /KNOWLEDGE_BASE/,
    );
  });
});

describe('ingestion config', () => {
  it('reads chunk sizes and rejects an overlap as large as the chunk', () => {
    const config = loadConfig(configSchema, {
      INGEST_CHUNK_SIZE: '500',
      INGEST_CHUNK_OVERLAP: '50',
    });
    expect(config).toMatchObject({ INGEST_CHUNK_SIZE: 500, INGEST_CHUNK_OVERLAP: 50 });
    expect(() =>
      loadConfig(configSchema, { INGEST_CHUNK_SIZE: '100', INGEST_CHUNK_OVERLAP: '100' }),
    ).toThrow(/INGEST_CHUNK_OVERLAP: must be smaller than INGEST_CHUNK_SIZE/);
  });

  it('rejects a claim staleness shorter than the visibility timeout', () => {
    expect(() =>
      loadConfig(configSchema, {
        INGEST_VISIBILITY_TIMEOUT_SECONDS: '120',
        INGEST_CLAIM_STALE_SECONDS: '60',
      }),
    ).toThrow(/INGEST_CLAIM_STALE_SECONDS/);
  });
});

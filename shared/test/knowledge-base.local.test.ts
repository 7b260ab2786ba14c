/** @jest-environment ./shared/src/testing/onnx-test-environment.js */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  createLocalEmbedder,
  defaultModelDir,
  OnnxEmbedder,
} from '../src/adapters/local/onnx-embedder';
import { KB_FTS_SQL, KB_SQL } from '../src/adapters/local/sqlite-knowledge-base-schema';
import { SqliteKnowledgeBase } from '../src/adapters/local/sqlite-knowledge-base';
import type { TenantContext } from '../src/auth/tenant-context';
import { buildRetrievalFilter } from '../src/knowledge-base/filter';
import { createLogger } from '../src/logging/logger';
import type { Chunk, ChunkMetadata, Embedder } from '../src/ports';

const log = createLogger({ service: 'test', level: 'silent' });
const FAR = Math.floor(Date.now() / 1000) + 3600;

const PASSAGES = [
  'The mitochondria produce most of the chemical energy a cell needs, as ATP.',
  'Photosynthesis in plant leaves turns sunlight, water and carbon dioxide into sugar.',
  'The Treaty of Westphalia in 1648 ended the Thirty Years War in Europe.',
  'Penguins are flightless birds that live almost only in the Southern Hemisphere.',
];

/** Cuts the passages into one chunk each, with offsets into the joined text. */
function chunksOf(passages: readonly string[]): Chunk[] {
  let start = 0;
  return passages.map((text, index) => {
    const chunk = { text, start, end: start + text.length, index };
    start = chunk.end + 2;
    return chunk;
  });
}

function meta(tenantId: string, projectId: string, fileId: string): ChunkMetadata {
  return { tenantId, projectId, userId: 'u1', fileId, fileName: `${fileId}.txt` };
}

function tenant(tenantId: string): TenantContext {
  return { tenantId, userId: 'u1', email: undefined, tier: 'free' };
}

function filterFor(tenantId: string, projectId: string, fileIds: string[]) {
  return buildRetrievalFilter(
    tenant(tenantId),
    projectId,
    fileIds.map((fileId) => ({ fileId, ttl: FAR })),
  );
}

let dir: string;
let embedder: Embedder;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jitkb-kb-'));
  const loaded = await createLocalEmbedder({ log });
  if (!loaded)
    throw new Error('the embedding model is not installed: run node scripts/fetch-model.js');
  embedder = loaded;
});

afterAll(async () => {
  if (embedder instanceof OnnxEmbedder) await embedder.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OnnxEmbedder', () => {
  it('returns unit vectors that put paraphrases closer than unrelated text', async () => {
    const [cat, feline, stocks] = await embedder.embedDocuments([
      'The cat sat on the mat.',
      'A feline was resting on a rug.',
      'Stock markets fell sharply today.',
    ]);
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
    expect(cat).toHaveLength(embedder.dimensions);
    expect(dot(cat!, cat!)).toBeCloseTo(1, 4);
    expect(dot(cat!, feline!)).toBeGreaterThan(dot(cat!, stocks!) + 0.2);
  });

  it('embeds a text the same alone as in a batch of texts of other lengths', async () => {
    const [alone] = await embedder.embedDocuments(['short text']);
    const [, inBatch] = await embedder.embedDocuments([PASSAGES[1]!, 'short text']);
    expect(Array.from(inBatch!).map((v) => v.toFixed(4))).toEqual(
      Array.from(alone!).map((v) => v.toFixed(4)),
    );
  });

  it('embeds alike with spinning or sleeping thread pools', async () => {
    const spinning = await OnnxEmbedder.load({ modelDir: defaultModelDir(), log, spinning: true });
    try {
      const [a, b] = await spinning.embedDocuments(PASSAGES.slice(0, 2));
      const [c, d] = await embedder.embedDocuments(PASSAGES.slice(0, 2));
      const rounded = (v: Float32Array) => Array.from(v).map((x) => x.toFixed(4));
      expect([a, b].map((v) => rounded(v!))).toEqual([c, d].map((v) => rounded(v!)));
    } finally {
      await spinning.close();
    }
  });

  it('is absent, not an error, when no model is installed', async () => {
    await expect(
      createLocalEmbedder({ modelDir: path.join(dir, 'no-model'), log }),
    ).resolves.toBeUndefined();
  });
});

describe('SqliteKnowledgeBase with the local model', () => {
  let kb: SqliteKnowledgeBase;

  beforeAll(async () => {
    kb = new SqliteKnowledgeBase({ path: path.join(dir, 'kb.db'), embedder, log });
    await kb.ingest({ metadata: meta('t1', 'p1', 'f1'), chunks: chunksOf(PASSAGES) });
    // The same text elsewhere: another tenant, another project, and a file outside the filter.
    await kb.ingest({ metadata: meta('t2', 'p1', 'other-tenant'), chunks: chunksOf(PASSAGES) });
    await kb.ingest({ metadata: meta('t1', 'p2', 'other-project'), chunks: chunksOf(PASSAGES) });
    await kb.ingest({ metadata: meta('t1', 'p1', 'unlisted'), chunks: chunksOf(PASSAGES) });
  });

  afterAll(async () => {
    await kb.close();
  });

  it('finds a passage by meaning, with its file and position', async () => {
    const hits = await kb.retrieve(
      'How do cells get their energy?',
      filterFor('t1', 'p1', ['f1']),
      { k: 2 },
    );
    expect(hits[0]).toMatchObject({
      fileId: 'f1',
      fileName: 'f1.txt',
      index: 0,
      start: 0,
      end: PASSAGES[0]!.length,
      text: PASSAGES[0],
    });
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
  });

  it('finds a passage by an exact rare word too', async () => {
    const hits = await kb.retrieve('Westphalia', filterFor('t1', 'p1', ['f1']), { k: 1 });
    expect(hits[0]!.text).toBe(PASSAGES[2]);
  });

  it("never returns other tenants', projects' or files' chunks", async () => {
    const questions = [...PASSAGES, 'energy', 'birds of the south', 'war treaty'];
    for (const question of questions) {
      const hits = await kb.retrieve(question, filterFor('t1', 'p1', ['f1']), { k: 50 });
      expect(hits.length).toBeGreaterThan(0);
      expect(new Set(hits.map((hit) => hit.fileId))).toEqual(new Set(['f1']));
    }
    const otherTenant = await kb.retrieve('penguins', filterFor('t2', 'p1', ['f1']), { k: 50 });
    expect(otherTenant).toEqual([]);
  });

  it('returns nothing when the filter has no live file', async () => {
    await expect(kb.retrieve('energy', filterFor('t1', 'p1', []))).resolves.toEqual([]);
  });

  it('replaces a file on re-ingestion instead of adding to it', async () => {
    const document = { metadata: meta('t1', 'p1', 'again'), chunks: chunksOf(PASSAGES) };
    await kb.ingest(document);
    await kb.ingest(document);
    expect(await kb.countChunks('again')).toBe(PASSAGES.length);

    await kb.ingest({
      metadata: meta('t1', 'p1', 'again'),
      chunks: chunksOf(['Only a new text about volcanoes.']),
    });
    expect(await kb.countChunks('again')).toBe(1);
    const hits = await kb.retrieve('penguins', filterFor('t1', 'p1', ['again']), { k: 10 });
    expect(hits.map((hit) => hit.text)).toEqual(['Only a new text about volcanoes.']);
  });

  it('deletes every chunk of the given files and ignores unknown ids', async () => {
    await kb.ingest({ metadata: meta('t1', 'p1', 'doomed'), chunks: chunksOf(PASSAGES) });
    await kb.delete(['doomed', 'never-existed']);
    expect(await kb.countChunks('doomed')).toBe(0);
    await expect(kb.retrieve('penguins', filterFor('t1', 'p1', ['doomed']))).resolves.toEqual([]);
    expect(await kb.countChunks('f1')).toBe(PASSAGES.length);
  });

  it('keeps what it holds across a restart', async () => {
    const reopened = new SqliteKnowledgeBase({ path: path.join(dir, 'kb.db'), embedder, log });
    try {
      const hits = await reopened.retrieve('photosynthesis', filterFor('t1', 'p1', ['f1']), {
        k: 1,
      });
      expect(hits[0]!.text).toBe(PASSAGES[1]);
    } finally {
      await reopened.close();
    }
  });

  it('reads the filtered rows through the tenant/project/file index', () => {
    const db = new Database(path.join(dir, 'kb.db'), { readonly: true });
    try {
      const plan = (sql: string) =>
        (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({
            tenant_id: 't1',
            project_id: 'p1',
            file_ids: '["f1"]',
            embedder_id: 1,
            ids: '[1, 2]',
            match: 'text:"x"',
            limit: 10,
          }) as Array<{ detail: string }>
        )
          .map((row) => row.detail)
          .join('\n');
      expect(plan(KB_SQL.vectors)).toMatch(/SEARCH kb_file_vectors USING INDEX/);
      expect(plan(KB_SQL.vectors)).not.toMatch(/SCAN kb_file_vectors\b/);
      // FTS5 finds the matches in the project's postings; each is then checked by primary key.
      expect(plan(KB_FTS_SQL.keyword(0))).toMatch(/SEARCH c USING INTEGER PRIMARY KEY/);
      expect(plan(KB_FTS_SQL.keyword(0))).not.toMatch(/SCAN c\b/);
      expect(plan(KB_SQL.chunksById)).toMatch(/SEARCH kb_chunks USING INTEGER PRIMARY KEY/);
    } finally {
      db.close();
    }
  });
});

describe('SqliteKnowledgeBase without an embedder', () => {
  it('searches with BM25 alone', async () => {
    const kb = new SqliteKnowledgeBase({ path: ':memory:', log });
    try {
      await kb.ingest({ metadata: meta('t1', 'p1', 'f1'), chunks: chunksOf(PASSAGES) });
      const hits = await kb.retrieve('flightless penguins', filterFor('t1', 'p1', ['f1']), {
        k: 4,
      });
      expect(hits.map((hit) => hit.text)).toEqual([PASSAGES[3]]);
    } finally {
      await kb.close();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { KB_FTS_SQL } from '../src/adapters/local/sqlite-knowledge-base-schema';
import { scopeOf, SqliteKnowledgeBase } from '../src/adapters/local/sqlite-knowledge-base';
import { buildRetrievalFilter } from '../src/knowledge-base/filter';
import { ftsMatchAny } from '../src/knowledge-base/ranking';
import { createLogger } from '../src/logging/logger';
import { seededRandom } from '../src/testing/random';
import type { Chunk, Embedder } from '../src/ports';

const log = createLogger({ service: 'test', level: 'silent' });
const FAR = Math.floor(Date.now() / 1000) + 3600;
/** Not a multiple of four, so that the dot product's remainder loop runs too. */
const DIMENSIONS = 18;
const FILES = Array.from({ length: 10 }, (_, i) => `f${i}`);
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split(' ');

function seedOf(text: string): number {
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash;
}

/** A unit vector drawn from the text's hash: the same text always has the same vector. */
function vectorOf(text: string): Float32Array {
  const next = seededRandom(seedOf(text));
  const vector = Float32Array.from({ length: DIMENSIONS }, () => next() - 0.5);
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

const embedder: Embedder = {
  name: 'test-hash',
  dimensions: DIMENSIONS,
  embedDocuments: async (texts) => texts.map(vectorOf),
  embedQuery: async (text) => vectorOf(text),
};

function chunksOf(fileId: string, count: number): Chunk[] {
  const next = seededRandom(seedOf(fileId));
  return Array.from({ length: count }, (_, index) => {
    const words = Array.from({ length: 8 }, () => WORDS[Math.floor(next() * WORDS.length)]!);
    const text = `${fileId} ${index} ${words.join(' ')}`;
    return { text, start: index * 100, end: index * 100 + text.length, index };
  });
}

function filterFor(fileIds: readonly string[]) {
  return buildRetrievalFilter(
    { tenantId: 't1', userId: 'u1', email: undefined, tier: 'free' },
    'p1',
    fileIds.map((fileId) => ({ fileId, ttl: FAR })),
  );
}

const hitKey = (hit: { fileId: string; index: number }) => `${hit.fileId}#${hit.index}`;

let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'jitkb-kb-rank-'));
  file = path.join(dir, 'kb.db');
  const kb = new SqliteKnowledgeBase({ path: file, embedder, log });
  try {
    // The same files, chunk for chunk, in other tenants' and projects' scopes too.
    for (const [tenantId, projectId] of [
      ['t1', 'p1'],
      ['t1', 'p2'],
      ['t2', 'p1'],
    ] as const) {
      for (const fileId of FILES) {
        await kb.ingest({
          metadata: {
            tenantId,
            projectId,
            userId: 'u1',
            fileId: `${tenantId === 't1' && projectId === 'p1' ? '' : `${tenantId}${projectId}-`}${fileId}`,
            fileName: `${fileId}.txt`,
          },
          chunks: chunksOf(fileId, 12),
        });
      }
    }
  } finally {
    await kb.close();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteKnowledgeBase rankings', () => {
  it('ranks the filtered chunks by exact cosine, as a full sort does', async () => {
    const live = FILES.slice(0, 7);
    const kb = new SqliteKnowledgeBase({
      path: file,
      embedder,
      log,
      mode: 'dense',
      candidates: 40,
    });
    try {
      for (const question of ['alpha beta', 'kappa mu zeta', 'theta']) {
        const q = vectorOf(question);
        const expected = live
          .flatMap((fileId) => chunksOf(fileId, 12).map((chunk) => ({ fileId, chunk })))
          .map(({ fileId, chunk }) => {
            const v = vectorOf(chunk.text);
            let score = 0;
            for (let i = 0; i < DIMENSIONS; i++) score += q[i]! * v[i]!;
            return { key: `${fileId}#${chunk.index}`, score };
          })
          .sort((a, b) => b.score - a.score)
          .slice(0, 40)
          .map((hit) => hit.key);
        const hits = await kb.retrieve(question, filterFor(live), { k: 40 });
        expect(hits.map(hitKey)).toEqual(expected);
      }
    } finally {
      await kb.close();
    }
  });

  it.each([
    ['every file of the project live', FILES],
    ['most of its files gone', FILES.slice(3, 5)],
    ['a few of its files gone', FILES.slice(0, 8)],
  ])('ranks by BM25 as the filter on every match does, with %s', async (_, live) => {
    const kb = new SqliteKnowledgeBase({ path: file, embedder, log, mode: 'bm25', candidates: 20 });
    const db = new Database(file, { readonly: true });
    try {
      const scope = {
        tenant_id: 't1',
        project_id: 'p1',
        file_ids: JSON.stringify(live),
      };
      const { token, shard } = scopeOf('t1', 'p1');
      const keyword = db.prepare(KB_FTS_SQL.keyword(shard));
      const chunk = db.prepare('SELECT file_id, chunk_index FROM kb_chunks WHERE id = ?');
      for (const question of ['alpha gamma', 'mu', 'epsilon iota lambda']) {
        const match = `scope:"${token}" AND (${ftsMatchAny(question, 'text')})`;
        const expected = (keyword.all({ ...scope, match, limit: 20 }) as Array<{ id: number }>).map(
          ({ id }) => {
            const row = chunk.get(id) as { file_id: string; chunk_index: number };
            return `${row.file_id}#${row.chunk_index}`;
          },
        );
        expect(expected.length).toBeGreaterThan(0);
        const hits = await kb.retrieve(question, filterFor(live), { k: 20 });
        expect(hits.map(hitKey)).toEqual(expected);
        expect(hits.every((hit) => live.includes(hit.fileId))).toBe(true);
      }
    } finally {
      db.close();
      await kb.close();
    }
  });
});

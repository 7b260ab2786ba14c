// Retrieval latency of the local knowledge base for one project while the store holds many other
// tenants' chunks:
//   npx tsx --conditions=@jitkb/source bench/knowledge-base-scale.ts [OTHER_CHUNKS] [PROJECT_CHUNKS]
// Defaults: 1,000,000 chunks of others, 10,000 in the project. Texts are Zipf-distributed
// pseudo-words and vectors are pseudo-random unit vectors (a fake embedder), since this measures
// the store and its indexes, not the model.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Embedder } from '@jitkb/shared';
import { seededRandom } from '@jitkb/shared/testing';
import { SqliteKnowledgeBase } from '../shared/src/adapters/local/sqlite-knowledge-base';
import { buildRetrievalFilter } from '../shared/src/knowledge-base/filter';

const OTHER_CHUNKS = Number(process.argv[2] ?? 1_000_000);
const PROJECT_CHUNKS = Number(process.argv[3] ?? 10_000);
const CHUNKS_PER_FILE = 100;
const DIMENSIONS = 384;
const VOCABULARY = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}`);

// Reproducible runs.
const random = seededRandom(42);

function word(): string {
  // Zipf-like: low ranks are common, as in real text.
  return VOCABULARY[Math.floor(VOCABULARY.length ** random()) - 1]!;
}

function text(words: number): string {
  return Array.from({ length: words }, word).join(' ');
}

const fakeEmbedder: Embedder = {
  name: 'bench-random',
  dimensions: DIMENSIONS,
  async embedDocuments(texts) {
    return texts.map(() => unitVector());
  },
  async embedQuery() {
    return unitVector();
  },
};

function unitVector(): Float32Array {
  const v = Float32Array.from({ length: DIMENSIONS }, () => random() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

async function fill(kb: SqliteKnowledgeBase, tenantId: string, projectId: string, chunks: number) {
  const files: string[] = [];
  for (let f = 0; f * CHUNKS_PER_FILE < chunks; f++) {
    const fileId = `${tenantId}-${projectId}-f${f}`;
    files.push(fileId);
    const count = Math.min(CHUNKS_PER_FILE, chunks - f * CHUNKS_PER_FILE);
    const fileChunks = Array.from({ length: count }, (_, index) => ({
      text: text(150),
      start: index * 1000,
      end: index * 1000 + 999,
      index,
    }));
    const metadata = { tenantId, projectId, userId: 'u', fileId, fileName: `${fileId}.txt` };
    await kb.ingest({ metadata, chunks: fileChunks });
  }
  return files;
}

async function measure(
  kb: SqliteKnowledgeBase,
  mode: string,
  filter: ReturnType<typeof buildRetrievalFilter>,
  files: readonly string[],
): Promise<void> {
  const times: number[] = [];
  for (let q = 0; q < 50; q++) {
    const query = text(8);
    const t0 = performance.now();
    const hits = await kb.retrieve(query, filter, { k: 10 });
    times.push(performance.now() - t0);
    if (hits.some((hit) => !files.includes(hit.fileId)))
      throw new Error('a hit outside the filter');
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  process.stdout.write(
    `${mode.padEnd(6)} retrieve k=10 over ${PROJECT_CHUNKS} chunks: p50 ${at(0.5).toFixed(1)} ms, ` +
      `p95 ${at(0.95).toFixed(1)} ms, max ${at(1).toFixed(1)} ms\n`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jitkb-kb-bench-'));
  const file = path.join(dir, 'kb.db');
  const log = createLogger({ service: 'bench', level: 'warn', destination: process.stderr });
  const kb = new SqliteKnowledgeBase({ path: file, embedder: fakeEmbedder, log });
  try {
    const started = performance.now();
    for (let t = 0; t * 50_000 < OTHER_CHUNKS; t++) {
      await fill(kb, `other-${t}`, 'p', Math.min(50_000, OTHER_CHUNKS - t * 50_000));
    }
    const files = await fill(kb, 'tenant', 'project', PROJECT_CHUNKS);
    const fillSeconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `filled ${OTHER_CHUNKS} + ${PROJECT_CHUNKS} chunks in ${fillSeconds.toFixed(0)} s, ` +
        `${(statSync(file).size / 1e9).toFixed(2)} GB\n`,
    );
    const filter = buildRetrievalFilter(
      { tenantId: 'tenant', userId: 'u', email: undefined, tier: 'bench' },
      'project',
      files.map((fileId) => ({ fileId, ttl: Number.MAX_SAFE_INTEGER })),
    );
    for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
      const reader = new SqliteKnowledgeBase({ path: file, embedder: fakeEmbedder, log, mode });
      try {
        await measure(reader, mode, filter, files);
      } finally {
        await reader.close();
      }
    }
  } finally {
    await kb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});

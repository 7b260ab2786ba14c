// Retrieval quality of the local knowledge base on any BEIR folder:
//   npm run eval -- --dataset DIR [--mode hybrid|bm25|dense] [--queries N] [--db FILE]
//                   [--rrf-k N] [--candidates N]
// The corpus goes through the real pipeline (chunkText, the local embedder, SqliteKnowledgeBase)
// into one tenant and project in a temporary folder; every test query (those in qrels.tsv) goes
// through buildRetrievalFilter and retrieve. A document scores by its best chunk. The last line
// printed is exactly `nDCG@10=<value>`. With --db, the knowledge base is kept in FILE and a later
// run with the same FILE skips ingestion, to compare query-side settings without re-embedding.
// bench/quality.ts imports the corpus, ingestion and ranking helpers below, so that the benchmark
// measures what this script measures.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { createLogger, type RetrievalFilter, type TenantContext } from '@jitkb/shared';
import { createLocalEmbedder } from '../shared/src/adapters/local/onnx-embedder';
import {
  SqliteKnowledgeBase,
  type SearchMode,
} from '../shared/src/adapters/local/sqlite-knowledge-base';
import { buildRetrievalFilter } from '../shared/src/knowledge-base/filter';
import { chunkText } from '../services/ingestion/src/domain/chunk';
import {
  loadCorpus,
  loadQrels,
  loadQueries,
  meanMetrics,
  scoreRanking,
  type BeirDocument,
  type QueryMetrics,
  type Qrels,
} from './beir';

/** Chunks retrieved per query. */
export const K = 100;
/** Documents embedded at once: enough to keep ONNX Runtime busy while JavaScript tokenizes. */
const INGEST_CONCURRENCY = 4;

/** The one tenant and project that hold the whole corpus. */
export const TENANT: TenantContext = {
  tenantId: 'eval',
  userId: 'eval',
  email: undefined,
  tier: 'eval',
};
export const PROJECT_ID = 'beir';

interface Options {
  dataset: string;
  mode: SearchMode;
  queryLimit: number | undefined;
  db: string | undefined;
  rrfK: number | undefined;
  candidates: number | undefined;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string' },
      mode: { type: 'string', default: 'hybrid' },
      queries: { type: 'string' },
      db: { type: 'string' },
      'rrf-k': { type: 'string' },
      candidates: { type: 'string' },
    },
  });
  if (!values.dataset)
    throw new Error('usage: npm run eval -- --dataset DIR [--mode hybrid|bm25|dense]');
  const mode = values.mode;
  if (mode !== 'hybrid' && mode !== 'bm25' && mode !== 'dense') {
    throw new Error(`--mode must be hybrid, bm25 or dense, not ${mode}`);
  }
  const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));
  return {
    dataset: path.resolve(values.dataset),
    mode,
    queryLimit: number(values.queries),
    db: values.db === undefined ? undefined : path.resolve(values.db),
    rrfK: number(values['rrf-k']),
    candidates: number(values.candidates),
  };
}

function progress(label: string, total: number): SingleBar {
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {duration}s eta {eta}s`,
      stream: process.stderr,
      // Without a terminal (CI logs), print a line every 15 s instead of redrawing.
      noTTYOutput: true,
      notTTYSchedule: 15_000,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The text a document is ingested as: its title, a blank line, then its text. */
export function documentText(doc: BeirDocument): string {
  return doc.title ? `${doc.title}\n\n${doc.text}` : doc.text;
}

/** Chunks one document with the ingestion chunker into the corpus's project, as file `doc.id`. */
export async function ingestDocument(kb: SqliteKnowledgeBase, doc: BeirDocument): Promise<number> {
  const metadata = {
    tenantId: TENANT.tenantId,
    projectId: PROJECT_ID,
    userId: TENANT.userId,
    fileId: doc.id,
    fileName: doc.title || doc.id,
  };
  return (await kb.ingest({ metadata, chunks: chunkText(documentText(doc)) })).chunks;
}

async function ingestCorpus(kb: SqliteKnowledgeBase, corpus: readonly BeirDocument[]) {
  const bar = progress('ingest', corpus.length);
  let next = 0;
  let chunks = 0;
  const worker = async () => {
    while (next < corpus.length) {
      const doc = corpus[next++]!;
      // Awaited first: `chunks += await ...` would read `chunks` before the other workers add theirs.
      const ingested = await ingestDocument(kb, doc);
      chunks += ingested;
      bar.increment();
    }
  };
  await Promise.all(Array.from({ length: INGEST_CONCURRENCY }, worker));
  bar.stop();
  return chunks;
}

/**
 * Documents in order of their best chunk, from the file ids of the chunks in rank order, the
 * query's own id left out (BEIR's convention).
 */
export function documentRanking(queryId: string, fileIds: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const id of fileIds) if (id !== queryId) seen.add(id);
  return [...seen];
}

/** The retrieval filter of the corpus's project with every document live. */
export function corpusFilter(corpus: readonly BeirDocument[]): RetrievalFilter {
  return buildRetrievalFilter(
    TENANT,
    PROJECT_ID,
    corpus.map((doc) => ({ fileId: doc.id, ttl: Number.MAX_SAFE_INTEGER })),
  );
}

async function runQueries(
  kb: SqliteKnowledgeBase,
  corpus: readonly BeirDocument[],
  queries: ReadonlyMap<string, { text: string }>,
  qrels: Qrels,
  testIds: readonly string[],
): Promise<QueryMetrics[]> {
  const filter = corpusFilter(corpus);
  const bar = progress('query ', testIds.length);
  const perQuery: QueryMetrics[] = [];
  for (const id of testIds) {
    const hits = await kb.retrieve(queries.get(id)!.text, filter, { k: K });
    const ranking = documentRanking(
      id,
      hits.map((hit) => hit.fileId),
    );
    perQuery.push(scoreRanking(ranking, qrels.get(id)!));
    bar.increment();
  }
  bar.stop();
  return perQuery;
}

/** Whether a kept knowledge base (--db) already holds this corpus. */
async function holdsCorpus(kb: SqliteKnowledgeBase, corpus: readonly BeirDocument[]) {
  const first = corpus[0];
  const last = corpus[corpus.length - 1];
  return (
    first !== undefined &&
    last !== undefined &&
    (await kb.countChunks(first.id)) > 0 &&
    (await kb.countChunks(last.id)) > 0
  );
}

async function main(): Promise<void> {
  const options = parseOptions();
  const log = createLogger({ service: 'eval', level: 'warn', destination: process.stderr });
  const [corpus, queries, qrels] = await Promise.all([
    loadCorpus(options.dataset),
    loadQueries(options.dataset),
    loadQrels(options.dataset),
  ]);
  const testIds = [...qrels.keys()].filter((id) => queries.has(id)).slice(0, options.queryLimit);
  const modelDir = process.env.JITKB_EMBEDDING_MODEL_DIR;
  const embedder =
    options.mode === 'bm25'
      ? undefined
      : await createLocalEmbedder({ log, ...(modelDir ? { modelDir } : {}) });
  if (options.mode !== 'bm25' && !embedder) {
    throw new Error(
      'no embedding model installed: run `node scripts/fetch-model.js`, or use --mode bm25',
    );
  }
  const tmp = options.db ? undefined : mkdtempSync(path.join(os.tmpdir(), 'jitkb-eval-'));
  const kb = new SqliteKnowledgeBase({
    path: options.db ?? path.join(tmp!, 'kb.db'),
    log,
    mode: options.mode,
    ...(options.rrfK === undefined ? {} : { rrfK: options.rrfK }),
    ...(options.candidates === undefined ? {} : { candidates: options.candidates }),
    ...(embedder ? { embedder } : {}),
  });
  try {
    say(`dataset ${options.dataset}: ${corpus.length} documents, ${testIds.length} test queries`);
    say(`mode ${options.mode}${embedder ? `, embedder ${embedder.name}` : ''}`);
    if (options.db && (await holdsCorpus(kb, corpus))) {
      say(`ingestion: skipped, reusing ${options.db}`);
    } else {
      const started = performance.now();
      const chunks = await ingestCorpus(kb, corpus);
      const seconds = (performance.now() - started) / 1000;
      say(
        `ingestion: ${chunks} chunks in ${seconds.toFixed(1)} s ` +
          `(${(corpus.length / seconds).toFixed(1)} docs/s, ${(chunks / seconds).toFixed(1)} chunks/s)`,
      );
    }
    const started = performance.now();
    const mean = meanMetrics(await runQueries(kb, corpus, queries, qrels, testIds));
    const seconds = (performance.now() - started) / 1000;
    say(
      `queries: ${testIds.length} in ${seconds.toFixed(1)} s ` +
        `(${(testIds.length / seconds).toFixed(1)} queries/s, k=${K})`,
    );
    say(`Recall@10=${mean.recall10.toFixed(4)}`);
    say(`Recall@100=${mean.recall100.toFixed(4)}`);
    say(`MRR@10=${mean.mrr10.toFixed(4)}`);
    say(`nDCG@10=${mean.ndcg10.toFixed(4)}`);
  } finally {
    await kb.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `eval failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}

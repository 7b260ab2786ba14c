/*
 * Retrieval quality on SciFact (BEIR): nDCG@10 and Recall@100 of the local knowledge base in its
 * three modes, and of two peers on the same chunks and the same vectors: LangChain.js's
 * MemoryVectorStore (dense) and Orama (BM25 and hybrid). Loading, chunking, ingestion, ranking
 * and scoring are scripts/eval.ts's own (with scripts/beir.ts); the vectors are computed once per
 * run (cached under .data/bench) and served to every store.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '@jitkb/shared';
import {
  SqliteKnowledgeBase,
  type SearchMode,
} from '../shared/src/adapters/local/sqlite-knowledge-base';
import { chunkText } from '../services/ingestion/src/domain/chunk';
import {
  loadCorpus,
  loadQrels,
  loadQueries,
  meanMetrics,
  scoreRanking,
  type BeirDocument,
  type QueryMetrics,
} from '../scripts/beir';
import {
  K,
  PROJECT_ID,
  TENANT,
  corpusFilter,
  documentRanking,
  documentText,
  ingestDocument,
} from '../scripts/eval';
import { scifactDir, table, type BenchContext, type SectionResult } from './lib/context';
import { fmt } from './lib/stats';
import { barChart } from './lib/svg';
import { PrecomputedEmbedder, Rng, SyntheticEmbedder, ZipfVocabulary } from './lib/synthetic';
import { cachedVectors } from './lib/vector-cache';
import {
  createMemoryVectorStore,
  createOrama,
  type PeerMode,
  type PeerStore,
} from './peers/stores';

export interface QualityChunk {
  id: string;
  fileId: string;
  text: string;
  index: number;
  start: number;
  end: number;
}

export interface Dataset {
  name: string;
  corpus: BeirDocument[];
  queries: Array<{ id: string; text: string }>;
  qrels: Map<string, Map<string, number>>;
}

/** The chunks scripts/eval.ts's ingestion makes of each document, with ids for the peer stores. */
function chunksOf(corpus: readonly BeirDocument[]): QualityChunk[] {
  return corpus.flatMap((doc) =>
    chunkText(documentText(doc)).map((chunk) => ({
      ...chunk,
      id: `${doc.id}#${chunk.index}`,
      fileId: doc.id,
    })),
  );
}

async function loadDataset(context: BenchContext): Promise<Dataset> {
  if (context.scale === 'smoke') return tinyDataset(context);
  const dir = scifactDir();
  if (!dir) throw new Error('SciFact not found: set JITKB_BENCH_SCIFACT to its folder');
  const [corpus, queries, qrels] = await Promise.all([
    loadCorpus(dir),
    loadQueries(dir),
    loadQrels(dir),
  ]);
  const test = [...qrels.keys()].filter((id) => queries.has(id)).map((id) => queries.get(id)!);
  return { name: 'SciFact (BEIR test split)', corpus, queries: test, qrels };
}

/** The smoke run's stand-in: a few documents of synthetic text and queries with one answer each. */
function tinyDataset(context: BenchContext): Dataset {
  const rng = new Rng(11);
  const vocabulary = new ZipfVocabulary(2000);
  const corpus = Array.from({ length: 12 }, (_, i) => ({
    id: `d${i}`,
    title: vocabulary.text(rng, 4),
    text: vocabulary.text(rng, 60),
  }));
  const queries = corpus.slice(0, 4).map((doc, i) => ({
    id: `q${i}`,
    text: doc.text.split(' ').slice(10, 16).join(' '),
  }));
  const qrels = new Map(queries.map((q, i) => [q.id, new Map([[`d${i}`, 1]])]));
  context.say('quality: smoke run on a synthetic 12-document corpus');
  return { name: 'synthetic smoke corpus', corpus, queries, qrels };
}

type Ranker = (query: { id: string; text: string }) => Promise<string[]>;

async function evaluate(dataset: Dataset, rank: Ranker): Promise<QueryMetrics> {
  const perQuery: QueryMetrics[] = [];
  for (const query of dataset.queries) {
    const ranking = documentRanking(query.id, await rank(query));
    perQuery.push(scoreRanking(ranking, dataset.qrels.get(query.id)!));
  }
  return meanMetrics(perQuery);
}

async function embedderFor(context: BenchContext): Promise<{ embedder: Embedder; real: boolean }> {
  const real = await context.embedder();
  if (real) return { embedder: real, real: true };
  context.say('quality: NO EMBEDDING MODEL INSTALLED; dense figures use synthetic vectors');
  return { embedder: new SyntheticEmbedder(), real: false };
}

export async function runQuality(context: BenchContext): Promise<SectionResult> {
  const dataset = await loadDataset(context);
  const chunks = chunksOf(dataset.corpus);
  context.say(
    `quality: ${dataset.corpus.length} documents, ${chunks.length} chunks, ${dataset.queries.length} queries`,
  );
  const { embedder, real } = await embedderFor(context);
  const vectors = await cachedVectors(context, embedder, {
    documents: chunks.map((c) => c.text),
    queries: dataset.queries.map((q) => q.text),
  });
  context.say(
    `quality: vectors ${vectors.cached ? 'from cache' : `computed in ${fmt(vectors.seconds)} s`}`,
  );
  const precomputed = new PrecomputedEmbedder(
    embedder.name,
    embedder.dimensions,
    new Map(chunks.map((c, i) => [c.text, vectors.documents[i]!])),
    new Map(dataset.queries.map((q, i) => [q.text, vectors.queries[i]!])),
  );
  const queryVector = new Map(dataset.queries.map((q, i) => [q.id, vectors.queries[i]!]));

  const dir = path.join(context.tempDir, 'quality');
  mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'kb.db');
  const open = (mode: SearchMode) =>
    new SqliteKnowledgeBase({ path: dbPath, log: context.log, mode, embedder: precomputed });
  const writer = open('hybrid');
  // One document at a time, in corpus order, so that the store's row order is the same every run.
  for (const doc of dataset.corpus) await ingestDocument(writer, doc);
  await writer.close();

  const filter = corpusFilter(dataset.corpus);
  const results: Array<{ system: string; metrics: QueryMetrics }> = [];
  for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
    const kb = open(mode);
    const metrics = await evaluate(dataset, async (query) =>
      (await kb.retrieve(query.text, filter, { k: K })).map((hit) => hit.fileId),
    );
    await kb.close();
    results.push({ system: `jitkb ${mode}`, metrics });
    context.say(
      `quality: jitkb ${mode} nDCG@10=${fmt(metrics.ndcg10, 4)} Recall@100=${fmt(metrics.recall100, 4)}`,
    );
  }

  const fileIdSet = new Set(filter.fileIds);
  const docs = chunks.map((chunk, i) => ({
    id: chunk.id,
    text: chunk.text,
    tenantId: TENANT.tenantId,
    projectId: PROJECT_ID,
    fileId: chunk.fileId,
    vector: vectors.documents[i]!,
  }));
  const peers: Array<[PeerStore, PeerMode]> = [];
  const langchain = createMemoryVectorStore();
  const orama = createOrama(embedder.dimensions);
  for (const store of [langchain, orama]) await store.add(docs);
  peers.push([langchain, 'dense'], [orama, 'bm25'], [orama, 'hybrid']);
  for (const [store, mode] of peers) {
    const system = `${store.name} ${mode}`;
    const metrics = await evaluate(dataset, (query) =>
      store.search(
        {
          text: query.text,
          vector: queryVector.get(query.id)!,
          tenantId: TENANT.tenantId,
          projectId: PROJECT_ID,
          fileIds: filter.fileIds,
          fileIdSet,
          k: K,
        },
        mode,
      ),
    );
    results.push({ system, metrics });
    context.say(
      `quality: ${system} nDCG@10=${fmt(metrics.ndcg10, 4)} Recall@100=${fmt(metrics.recall100, 4)}`,
    );
  }

  const hybrid = results.find((r) => r.system === 'jitkb hybrid')!.metrics.ndcg10;
  const markdown = [
    `${dataset.name}: ${dataset.corpus.length} documents cut into ${chunks.length} chunks by the ` +
      `ingestion chunker, ${dataset.queries.length} test queries. Embedder: ` +
      `${real ? `${embedder.name} (${embedder.dimensions} dimensions, local ONNX)` : 'synthetic (no model installed)'}; ` +
      `every store gets the same chunks and the same vectors. A document ranks by its best chunk; ` +
      `k = ${K} chunks per query.`,
    '',
    table(
      ['system', 'nDCG@10', 'Recall@100', 'Recall@10', 'MRR@10'],
      results.map(({ system, metrics }) => [
        system,
        fmt(metrics.ndcg10, 4),
        fmt(metrics.recall100, 4),
        fmt(metrics.recall10, 4),
        fmt(metrics.mrr10, 4),
      ]),
    ),
    '',
    'Peers: MemoryVectorStore ranks by cosine after its filter function; Orama 3 with English ' +
      "stemming, jitkb's 33 English stop words (Orama has none by default; without them its BM25 " +
      'scores 0.21 here, as it matches query words as prefixes), the where filter on tenant, ' +
      'project and file, and its default hybrid weights (min-max normalised scores, 0.5/0.5).',
  ].join('\n');
  return {
    id: 'quality',
    title: 'Retrieval quality (SciFact)',
    markdown,
    charts: [
      {
        file: 'quality.svg',
        alt: 'nDCG@10 and Recall@100 by system',
        svg: barChart({
          title: 'Retrieval quality on SciFact',
          yLabel: 'score',
          categories: results.map((r) => r.system.replace('LangChain.js ', '')),
          series: [
            { name: 'nDCG@10', values: results.map((r) => r.metrics.ndcg10) },
            { name: 'Recall@100', values: results.map((r) => r.metrics.recall100) },
          ],
        }),
      },
    ],
    targets: [
      {
        name: 'hybrid nDCG@10',
        target: '>= 0.72',
        measured: fmt(hybrid, 4),
        met: context.scale === 'smoke' ? undefined : hybrid >= 0.72,
      },
    ],
    data: results,
  };
}

// BEIR data sets and the usual ranking metrics, for scripts/eval.ts.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

/** query id -> (document id -> graded relevance); only judgments above 0 are kept. */
export type Qrels = Map<string, Map<string, number>>;

async function* jsonLines(file: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim().length > 0) yield JSON.parse(line) as Record<string, unknown>;
  }
}

function field(record: Record<string, unknown>, name: string, file: string): string {
  const value = record[name];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new Error(`${file}: field ${name} is not a string`);
}

/** corpus.jsonl: one `{_id, title, text}` per line. */
export async function loadCorpus(dir: string): Promise<BeirDocument[]> {
  const file = path.join(dir, 'corpus.jsonl');
  const documents: BeirDocument[] = [];
  for await (const record of jsonLines(file)) {
    documents.push({
      id: field(record, '_id', file),
      title: field(record, 'title', file),
      text: field(record, 'text', file),
    });
  }
  return documents;
}

export async function loadQueries(dir: string): Promise<Map<string, BeirQuery>> {
  const file = path.join(dir, 'queries.jsonl');
  const queries = new Map<string, BeirQuery>();
  for await (const record of jsonLines(file)) {
    const id = field(record, '_id', file);
    queries.set(id, { id, text: field(record, 'text', file) });
  }
  return queries;
}

/** qrels.tsv: `query-id, corpus-id, score` with a header line. Its queries are the test split. */
export async function loadQrels(dir: string): Promise<Qrels> {
  const file = path.join(dir, 'qrels.tsv');
  const [, ...lines] = (await readFile(file, 'utf8')).split(/\r?\n/);
  const qrels: Qrels = new Map();
  for (const line of lines) {
    if (line.trim().length === 0) continue;
    const [queryId, docId, score] = line.split('\t');
    const relevance = Number(score);
    if (queryId === undefined || docId === undefined || !Number.isFinite(relevance)) {
      throw new Error(`${file}: bad line "${line}"`);
    }
    if (relevance <= 0) continue;
    const judged = qrels.get(queryId) ?? new Map<string, number>();
    judged.set(docId, relevance);
    qrels.set(queryId, judged);
  }
  return qrels;
}

export interface QueryMetrics {
  ndcg10: number;
  recall10: number;
  recall100: number;
  mrr10: number;
}

/** nDCG@10 (linear gains, as trec_eval and BEIR), Recall@10/@100 and MRR@10 of one ranking. */
export function scoreRanking(
  ranking: readonly string[],
  relevant: Map<string, number>,
): QueryMetrics {
  const dcg = ranking
    .slice(0, 10)
    .reduce((sum, id, rank) => sum + (relevant.get(id) ?? 0) / Math.log2(rank + 2), 0);
  const ideal = [...relevant.values()]
    .sort((a, b) => b - a)
    .slice(0, 10)
    .reduce((sum, gain, rank) => sum + gain / Math.log2(rank + 2), 0);
  const found = (n: number) => ranking.slice(0, n).filter((id) => relevant.has(id)).length;
  const first = ranking.slice(0, 10).findIndex((id) => relevant.has(id));
  return {
    ndcg10: ideal > 0 ? dcg / ideal : 0,
    recall10: found(10) / relevant.size,
    recall100: found(100) / relevant.size,
    mrr10: first === -1 ? 0 : 1 / (first + 1),
  };
}

export function meanMetrics(all: readonly QueryMetrics[]): QueryMetrics {
  const mean = (pick: (m: QueryMetrics) => number) =>
    all.length === 0 ? 0 : all.reduce((sum, m) => sum + pick(m), 0) / all.length;
  return {
    ndcg10: mean((m) => m.ndcg10),
    recall10: mean((m) => m.recall10),
    recall100: mean((m) => m.recall100),
    mrr10: mean((m) => m.mrr10),
  };
}

/*
 * Pure ranking helpers of the local hybrid search: turning a question into an FTS5 query, and
 * reciprocal rank fusion. Kept apart from SQLite so that they are unit-tested on their own.
 */

/**
 * Lucene's default English stop words (also Anserini's, whose BM25 runs are the usual baseline).
 * BM25's idf already gives them little weight; dropping them mostly saves reading their long
 * posting lists, which in a store shared by many tenants are the longest there are.
 */
const STOP_WORDS = new Set(
  (
    'a an and are as at be but by for if in into is it no not of on or such that the their then ' +
    'there these they this to was will with'
  ).split(' '),
);

/** More terms than this add little to ranking and a lot to query time. */
const MAX_QUERY_TERMS = 64;

/**
 * The words of a question, as FTS5's unicode61 tokenizer would split them (runs of letters and
 * digits), lower-cased, without stop words and repeats. A question of stop words only keeps them,
 * so that "to be or not to be" still searches for something.
 */
export function queryTerms(text: string): string[] {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(
    (word, i, all) => all.indexOf(word) === i,
  );
  const content = words.filter((word) => !STOP_WORDS.has(word));
  return (content.length > 0 ? content : words).slice(0, MAX_QUERY_TERMS);
}

/**
 * An FTS5 MATCH expression: any of the terms (BM25's usual OR semantics) in `column`. Each term
 * is a quoted string, so nothing in the question is read as FTS5 syntax; the terms hold letters
 * and digits only. Undefined when the question has no words.
 */
export function ftsMatchAny(text: string, column: string): string | undefined {
  const terms = queryTerms(text);
  if (terms.length === 0) return undefined;
  return terms.map((term) => `${column}:"${term}"`).join(' OR ');
}

/**
 * The reciprocal rank fusion constant. Cormack, Clarke and Buettcher (SIGIR 2009) proposed 60 for
 * fusing many TREC runs; with two rankers of similar strength, as BM25 and a sentence-embedding
 * model are, the top ranks of each carry more of the signal and a smaller constant fuses better.
 * Chosen on SciFact's 809 training queries, which the eval never scores (nDCG@10 there: k=60
 * 0.714, k=20 0.722, k=10 0.727); 20 rather than the last of these keeps some weight on agreement
 * further down both lists.
 */
export const RRF_K = 20;

/**
 * Reciprocal rank fusion: each id scores the sum over the lists of 1 / (k + rank), rank from 1.
 * Rank-based, so BM25 scores and cosines need no calibration against each other. Returns ids by
 * descending fused score; ties keep the order in which the ids were first seen.
 */
export function reciprocalRankFusion<T>(
  lists: ReadonlyArray<readonly T[]>,
  k: number = RRF_K,
): Array<{ id: T; score: number }> {
  const scores = new Map<T, number>();
  for (const list of lists) {
    list.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/**
 * The `n` highest-scoring entries, best first, without sorting everything: a bounded min-heap,
 * since the vector pass may score tens of thousands of chunks to keep a hundred.
 */
export function topN<T>(
  entries: Iterable<{ id: T; score: number }>,
  n: number,
): Array<{ id: T; score: number }> {
  const heap: Array<{ id: T; score: number }> = [];
  if (n <= 0) return heap;
  for (const entry of entries) {
    if (heap.length < n) {
      heap.push(entry);
      siftUp(heap, heap.length - 1);
    } else if (entry.score > heap[0]!.score) {
      heap[0] = entry;
      siftDown(heap, 0);
    }
  }
  return heap.sort((a, b) => b.score - a.score);
}

function siftUp<T>(heap: Array<{ id: T; score: number }>, index: number): void {
  let child = index;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    if (heap[parent]!.score <= heap[child]!.score) return;
    [heap[parent], heap[child]] = [heap[child]!, heap[parent]!];
    child = parent;
  }
}

function siftDown<T>(heap: Array<{ id: T; score: number }>, index: number): void {
  let parent = index;
  for (;;) {
    const left = 2 * parent + 1;
    const right = left + 1;
    let smallest = parent;
    if (left < heap.length && heap[left]!.score < heap[smallest]!.score) smallest = left;
    if (right < heap.length && heap[right]!.score < heap[smallest]!.score) smallest = right;
    if (smallest === parent) return;
    [heap[parent], heap[smallest]] = [heap[smallest]!, heap[parent]!];
    parent = smallest;
  }
}

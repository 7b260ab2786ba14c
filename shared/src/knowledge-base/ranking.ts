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
 * The `n` highest-scoring numeric ids, kept in a bounded min-heap on typed arrays: the vector pass
 * scores every filtered chunk (tens of thousands) to keep a hundred, so it offers each one here
 * without allocating anything per chunk. An entry replaces the current minimum only when it
 * scores strictly higher, so among equal scores the first offered stays.
 */
export class TopScores {
  private readonly ids: Float64Array;
  private readonly scores: Float64Array;
  private size = 0;

  constructor(private readonly capacity: number) {
    const length = Math.max(0, Math.trunc(capacity));
    this.ids = new Float64Array(length);
    this.scores = new Float64Array(length);
  }

  offer(id: number, score: number): void {
    if (this.size < this.capacity) {
      this.siftUp(this.size++, id, score);
    } else if (this.capacity > 0 && score > this.scores[0]!) {
      this.siftDown(id, score);
    }
  }

  /** The ids kept, best first; equal scores keep their order in the heap. */
  best(): Array<{ id: number; score: number }> {
    const entries = Array.from({ length: this.size }, (_, i) => ({
      id: this.ids[i]!,
      score: this.scores[i]!,
    }));
    return entries.sort((a, b) => b.score - a.score);
  }

  private siftUp(index: number, id: number, score: number): void {
    const { ids, scores } = this;
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (scores[parent]! <= score) break;
      ids[child] = ids[parent]!;
      scores[child] = scores[parent]!;
      child = parent;
    }
    ids[child] = id;
    scores[child] = score;
  }

  /** Replaces the minimum with (id, score) and restores the heap below it. */
  private siftDown(id: number, score: number): void {
    const { ids, scores, size } = this;
    let parent = 0;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      let smallestScore = score;
      if (left < size && scores[left]! < smallestScore) {
        smallest = left;
        smallestScore = scores[left]!;
      }
      if (right < size && scores[right]! < smallestScore) smallest = right;
      if (smallest === parent) break;
      ids[parent] = ids[smallest]!;
      scores[parent] = scores[smallest]!;
      parent = smallest;
    }
    ids[parent] = id;
    scores[parent] = score;
  }
}

/*
 * Deterministic synthetic data for the scale benchmarks: a seeded generator, a word list with
 * Zipf-distributed frequencies (as in natural text, so that posting lists have realistic
 * lengths), chunk texts drawn from it, and random unit vectors of the embedder's dimension.
 * Every benchmark that compares stores regenerates exactly the same data from the same seed.
 */
import { createHash } from 'node:crypto';
import type { Embedder } from '@jitkb/shared';
import { seededRandom } from '@jitkb/shared/testing';

/** all-MiniLM-L6-v2's dimension; the synthetic vectors match the real embedder's. */
export const DIMENSIONS = 384;

/** A seeded generator (seededRandom) with the distributions the workloads draw from. */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** A seed from any string (FNV-1a). */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function randomUnitVector(rng: Rng, dimensions = DIMENSIONS): Float32Array {
  const vector = new Float32Array(dimensions);
  let sum = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = rng.normal();
    vector[i] = value;
    sum += value * value;
  }
  const norm = Math.sqrt(sum);
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}

const SYLLABLES = (
  'ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ho la le li lo ' +
  'lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu ' +
  'va ve vi vo za ze zi zo ka ke ki ko tra tre tri pro pre str an en in on er ar or al el il'
).split(' ');

/**
 * A vocabulary of `size` distinct pseudo-words, sampled with Zipf frequencies (exponent s): the
 * word of rank r has probability proportional to 1 / r^s.
 */
export class ZipfVocabulary {
  readonly words: string[];
  private readonly cdf: Float64Array;

  constructor(size = 30_000, s = 1.07, seed = 7) {
    const rng = new Rng(seed);
    const seen = new Set<string>();
    while (seen.size < size) {
      const parts = 2 + rng.int(3);
      let word = '';
      for (let i = 0; i < parts; i++) word += rng.pick(SYLLABLES);
      seen.add(word);
    }
    this.words = [...seen];
    this.cdf = new Float64Array(size);
    let total = 0;
    for (let r = 0; r < size; r++) this.cdf[r] = total += 1 / Math.pow(r + 1, s);
    for (let r = 0; r < size; r++) this.cdf[r]! /= total;
  }

  /** The rank of a sampled word (0 = most frequent). */
  sampleRank(rng: Rng): number {
    const u = rng.next();
    let low = 0;
    let high = this.cdf.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.cdf[mid]! < u) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  text(rng: Rng, words: number): string {
    const out = new Array<string>(words);
    for (let i = 0; i < words; i++) out[i] = this.words[this.sampleRank(rng)]!;
    return out.join(' ');
  }

  /**
   * A question: a few words of middle frequency, as people type them (the most frequent ranks
   * play the part of stop words and are skipped).
   */
  query(rng: Rng, words = 6): string {
    const out: string[] = [];
    while (out.length < words) {
      const rank = this.sampleRank(rng);
      if (rank >= 50) out.push(this.words[rank]!);
    }
    return out.join(' ');
  }
}

/**
 * An embedder whose vector of a text is a random unit vector seeded by the text: free to
 * compute, the same in every process, and of the real model's dimension. The scale benchmarks
 * use it so that they measure the stores, not the model (whose query cost is reported apart).
 */
export class SyntheticEmbedder implements Embedder {
  readonly name = 'bench-synthetic';
  readonly dimensions = DIMENSIONS;

  async embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.vectorOf(text));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return this.vectorOf(text);
  }

  vectorOf(text: string): Float32Array {
    return randomUnitVector(new Rng(seedOf(text)));
  }
}

/** An embedder that answers from vectors computed once (so every store sees the same ones). */
export class PrecomputedEmbedder implements Embedder {
  constructor(
    readonly name: string,
    readonly dimensions: number,
    private readonly documents: ReadonlyMap<string, Float32Array>,
    private readonly queries: ReadonlyMap<string, Float32Array>,
  ) {}

  async embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => lookup(this.documents, text));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    return lookup(this.queries, text);
  }
}

function lookup(vectors: ReadonlyMap<string, Float32Array>, text: string): Float32Array {
  const vector = vectors.get(text);
  if (!vector) throw new Error(`no precomputed vector for "${text.slice(0, 40)}..."`);
  return vector;
}

export function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

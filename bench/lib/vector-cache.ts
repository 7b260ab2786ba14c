/*
 * Embedding a corpus is the slow part of the quality benchmark; its vectors are kept under
 * .data/bench, keyed by the model and every text, so a second run reuses them. Synthetic vectors
 * are never cached (they cost nothing).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '@jitkb/shared';
import type { BenchContext } from './context';
import { sha256, SyntheticEmbedder } from './synthetic';

export interface Vectors {
  documents: Float32Array[];
  queries: Float32Array[];
  cached: boolean;
  seconds: number;
}

function split(buffer: Buffer, count: number, dimensions: number): Float32Array[] {
  const all = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  return Array.from({ length: count }, (_, i) => all.slice(i * dimensions, (i + 1) * dimensions));
}

export async function cachedVectors(
  context: BenchContext,
  embedder: Embedder,
  texts: { documents: readonly string[]; queries: readonly string[] },
): Promise<Vectors> {
  const { documents, queries } = texts;
  const key = sha256(embedder.name, String(embedder.dimensions), ...documents, '--', ...queries);
  const file = path.join(context.cacheDir, `vectors-${key.slice(0, 24)}.f32`);
  const total = documents.length + queries.length;
  const bytes = total * embedder.dimensions * 4;
  const cacheable = !(embedder instanceof SyntheticEmbedder) && context.scale !== 'smoke';
  if (cacheable && existsSync(file)) {
    const buffer = readFileSync(file);
    if (buffer.byteLength === bytes) {
      const all = split(buffer, total, embedder.dimensions);
      return {
        documents: all.slice(0, documents.length),
        queries: all.slice(documents.length),
        cached: true,
        seconds: 0,
      };
    }
  }
  const start = performance.now();
  const docVectors = await embedInSlices(context, embedder, documents);
  const queryVectors: Float32Array[] = [];
  for (const query of queries) queryVectors.push(await embedder.embedQuery(query));
  const seconds = (performance.now() - start) / 1000;
  if (cacheable) {
    const out = Buffer.alloc(bytes);
    [...docVectors, ...queryVectors].forEach((vector, i) =>
      out.set(
        new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength),
        i * vector.byteLength,
      ),
    );
    writeFileSync(`${file}.tmp`, out);
    renameSync(`${file}.tmp`, file);
  }
  return { documents: docVectors, queries: queryVectors, cached: false, seconds };
}

/** Embeds in slices of similar lengths (little padding), saying how far it got. */
async function embedInSlices(
  context: BenchContext,
  embedder: Embedder,
  texts: readonly string[],
): Promise<Float32Array[]> {
  const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
  const vectors = new Array<Float32Array>(texts.length);
  const slice = 1024;
  const start = performance.now();
  for (let offset = 0; offset < order.length; offset += slice) {
    const indexes = order.slice(offset, offset + slice);
    const batch = await embedder.embedDocuments(indexes.map((i) => texts[i]!));
    indexes.forEach((index, j) => (vectors[index] = batch[j]!));
    if (texts.length > slice) {
      const done = Math.min(order.length, offset + slice);
      const seconds = (performance.now() - start) / 1000;
      context.say(`  embedded ${done} of ${texts.length} chunks (${seconds.toFixed(0)} s)`);
    }
  }
  return vectors;
}

/*
 * The multi-tenant store of the latency benchmark, as a deterministic stream of chunks: one
 * target project of `projectChunks` chunks (files of 20 chunks) in tenant t0, among `total`
 * chunks of other tenants and projects (t0's other projects included). The target's files are
 * spread evenly through the stream, as files ingested over time would be. Text is drawn from a
 * Zipf word list, vectors are random unit vectors: the same in every process for the same spec.
 */
import { DIMENSIONS, randomUnitVector, Rng, SyntheticEmbedder, ZipfVocabulary } from './synthetic';

/** Bump when the generated data changes, so that cached stores are rebuilt. */
export const SCALE_DATA_VERSION = 1;

export const CHUNKS_PER_FILE = 20;
export const WORDS_PER_CHUNK = 100;
export const TARGET_TENANT = 't0';
export const TARGET_PROJECT = 'p-target';

export interface ScaleSpec {
  total: number;
  projectChunks: number;
}

export interface ScaleRow {
  tenantId: string;
  projectId: string;
  fileId: string;
  index: number;
  text: string;
  vector: Float32Array;
}

export function tenantsFor(total: number): number {
  return Math.max(2, Math.round(total / 1000));
}

/** The target project's file ids, in order. */
export function targetFileIds(spec: ScaleSpec): string[] {
  return Array.from(
    { length: Math.ceil(spec.projectChunks / CHUNKS_PER_FILE) },
    (_, i) => `tf${i}`,
  );
}

/** Every chunk of the store, in insertion order. */
export function* scaleRows(spec: ScaleSpec): Generator<ScaleRow> {
  const rng = new Rng(20240601 + SCALE_DATA_VERSION);
  const vocabulary = new ZipfVocabulary();
  const targetFiles = targetFileIds(spec);
  const otherFiles = Math.max(0, Math.ceil((spec.total - spec.projectChunks) / CHUNKS_PER_FILE));
  const tenants = tenantsFor(spec.total);
  const allFiles = otherFiles + targetFiles.length;
  const every = allFiles / Math.max(1, targetFiles.length);
  let target = 0;
  let other = 0;
  let emitted = 0;
  for (let position = 0; position < allFiles; position++) {
    const isTarget = target < targetFiles.length && position >= Math.floor(target * every);
    let tenantId: string;
    let projectId: string;
    let fileId: string;
    if (isTarget) {
      tenantId = TARGET_TENANT;
      projectId = TARGET_PROJECT;
      fileId = targetFiles[target++]!;
    } else {
      const j = other++;
      tenantId = `t${j % tenants}`;
      projectId = `p${Math.floor(j / tenants) % 8}`;
      fileId = `f${j}`;
    }
    for (let index = 0; index < CHUNKS_PER_FILE && emitted < spec.total; index++, emitted++) {
      yield {
        tenantId,
        projectId,
        fileId,
        index,
        text: vocabulary.text(rng, WORDS_PER_CHUNK),
        vector: randomUnitVector(rng, DIMENSIONS),
      };
    }
  }
}

/** The questions of the latency benchmark; their vectors are what SyntheticEmbedder gives. */
export function scaleQueries(
  count: number,
  seed = 99,
): Array<{ text: string; vector: Float32Array }> {
  const rng = new Rng(seed);
  const vocabulary = new ZipfVocabulary();
  const embedder = new SyntheticEmbedder();
  return Array.from({ length: count }, () => {
    const text = vocabulary.query(rng);
    return { text, vector: embedder.vectorOf(text) };
  });
}

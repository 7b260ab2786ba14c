import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppError } from '../../errors/app-error';
import type { Logger } from '../../logging/logger';
import type { Embedder } from '../../ports/embedder';

/** The model `scripts/fetch-model.js` installs (all-MiniLM-L6-v2, int8 ONNX). */
export const DEFAULT_EMBEDDING_MODEL = 'all-minilm-l6-v2-int8';

/** The file in a model folder that says how to run the model (written by scripts/fetch-model.js). */
export const MODEL_MANIFEST = 'jitkb-model.json';

const manifestSchema = z.object({
  name: z.string().min(1),
  onnx: z.string().min(1).default('model.onnx'),
  tokenizer: z.string().min(1).default('tokenizer.json'),
  tokenizerConfig: z.string().min(1).default('tokenizer_config.json'),
  /** The ONNX output holding the token states ([batch, tokens, dims]) or the pooled vector. */
  output: z.string().min(1).default('last_hidden_state'),
  pooling: z.enum(['mean', 'cls']),
  dimensions: z.number().int().positive(),
  maxTokens: z.number().int().min(8).max(8192),
  queryPrefix: z.string().default(''),
  documentPrefix: z.string().default(''),
});

export type EmbeddingModelManifest = z.output<typeof manifestSchema>;

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
/*
 * The part of @huggingface/tokenizers used here. The package is ESM with a CommonJS build; its
 * types are ESM-only, which a CommonJS module cannot name without import attributes that not
 * every tool reads, so the import below is typed by this interface instead.
 */
interface Tokenizer {
  encode(text: string): { ids: number[] };
}
type TokenizerModule = {
  Tokenizer: new (tokenizerJson: unknown, tokenizerConfig: unknown) => Tokenizer;
};

export interface OnnxEmbedderOptions {
  /** A folder with jitkb-model.json, the ONNX file and tokenizer.json. */
  modelDir: string;
  log: Logger;
  /** Texts per inference call; larger batches pad more. Default 16. */
  batchSize?: number;
  /** ONNX Runtime intra-op threads; default: ONNX Runtime's choice (all cores). */
  threads?: number;
  /**
   * Whether ONNX Runtime's idle pool threads spin (busy-wait) for the next parallel section
   * instead of sleeping. Default false: the embedder shares its cores with the other services and
   * their request handling, and spinning threads take CPU time from them and from each other.
   */
  spinning?: boolean;
}

/**
 * A sentence-embedding model run in-process by ONNX Runtime (CPU). Vectors are pooled as the
 * model's manifest says (mean over real tokens, or the first token) and scaled to unit length, so
 * a dot product is the cosine. Calls are serialised: one inference already uses every core.
 */
export class OnnxEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly manifest: EmbeddingModelManifest,
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly tokenizer: Tokenizer,
    private readonly batchSize: number,
  ) {
    this.name = manifest.name;
    this.dimensions = manifest.dimensions;
  }

  /** Loads the model in `options.modelDir`; throws AppError `unavailable` when it cannot. */
  static async load(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
    const dir = path.resolve(options.modelDir);
    try {
      const manifest = manifestSchema.parse(await readJson(path.join(dir, MODEL_MANIFEST)));
      const ort = await import('onnxruntime-node');
      const { Tokenizer } = (await import('@huggingface/tokenizers')) as unknown as TokenizerModule;
      const tokenizer = new Tokenizer(
        await readJson(path.join(dir, manifest.tokenizer)),
        await readJson(path.join(dir, manifest.tokenizerConfig)),
      );
      const session = await ort.InferenceSession.create(path.join(dir, manifest.onnx), {
        graphOptimizationLevel: 'all',
        ...(options.threads === undefined ? {} : { intraOpNumThreads: options.threads }),
        extra: { session: spinningConfig(options.spinning ?? false) },
      });
      if (!session.outputNames.includes(manifest.output)) {
        throw new Error(`the model has no output "${manifest.output}"`);
      }
      options.log.info({ model: manifest.name, dir }, 'embedding model loaded');
      return new OnnxEmbedder(manifest, ort, session, tokenizer, options.batchSize ?? 16);
    } catch (error) {
      throw new AppError('unavailable', `cannot load the embedding model in ${dir}`, {
        cause: error,
      });
    }
  }

  async embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    const prefixed = texts.map((text) => this.manifest.documentPrefix + text);
    // Batching texts of similar length keeps padding, and so wasted work, small.
    const order = prefixed
      .map((_, i) => i)
      .sort((a, b) => prefixed[a]!.length - prefixed[b]!.length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let offset = 0; offset < order.length; offset += this.batchSize) {
      const indexes = order.slice(offset, offset + this.batchSize);
      const batch = await this.serialised(() => this.run(indexes.map((i) => prefixed[i]!)));
      indexes.forEach((index, j) => (vectors[index] = batch[j]!));
    }
    return vectors;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.serialised(() => this.run([this.manifest.queryPrefix + text]));
    return vector!;
  }

  /** Frees the ONNX Runtime session. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.session.release();
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    // The chain only orders the calls; each caller sees its own outcome through `next`.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private tokenize(text: string): number[] {
    const max = this.manifest.maxTokens;
    // No token is anywhere near 32 characters long, so this bound never changes the result; it
    // only spares the tokenizer text that truncation would drop anyway.
    const ids = this.tokenizer.encode(text.slice(0, max * 32)).ids;
    if (ids.length <= max) return ids;
    // Keep the closing special token ([SEP]) that the model saw in training.
    return [...ids.slice(0, max - 1), ids[ids.length - 1]!];
  }

  private async run(texts: readonly string[]): Promise<Float32Array[]> {
    const encoded = texts.map((text) => this.tokenize(text));
    const width = Math.max(1, ...encoded.map((ids) => ids.length));
    const size = encoded.length * width;
    const inputIds = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    encoded.forEach((ids, row) =>
      ids.forEach((id, column) => {
        inputIds[row * width + column] = BigInt(id);
        mask[row * width + column] = 1n;
      }),
    );
    const shape = [encoded.length, width];
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      input_ids: new this.ort.Tensor('int64', inputIds, shape),
      attention_mask: new this.ort.Tensor('int64', mask, shape),
    };
    if (this.session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new this.ort.Tensor('int64', new BigInt64Array(size), shape);
    }
    const output = (await this.infer(feeds))[this.manifest.output];
    if (output === undefined || !(output.data instanceof Float32Array)) {
      throw new AppError(
        'internal',
        `the embedding model gave no float output ${this.manifest.output}`,
      );
    }
    return encoded.map((ids, row) =>
      this.pool(output.data as Float32Array, output.dims, row, ids.length),
    );
  }

  private async infer(feeds: Record<string, InstanceType<Ort['Tensor']>>) {
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw new AppError('internal', `the embedding model ${this.name} failed`, { cause: error });
    }
  }

  private pool(
    data: Float32Array,
    dims: readonly number[],
    row: number,
    length: number,
  ): Float32Array {
    const d = this.dimensions;
    const vector = new Float32Array(d);
    if (dims.length === 2) {
      vector.set(data.subarray(row * d, row * d + d));
    } else {
      const width = dims[1]!;
      const tokens = this.manifest.pooling === 'cls' ? 1 : length;
      for (let t = 0; t < tokens; t++) {
        const base = (row * width + t) * d;
        for (let k = 0; k < d; k++) vector[k]! += data[base + k]!;
      }
    }
    return normalise(vector);
  }
}

/**
 * ONNX Runtime session config entries (onnxruntime_session_options_config_keys.h); the Node.js
 * binding joins the nested keys with dots and wants every value as a string.
 */
function spinningConfig(spinning: boolean) {
  const flag = spinning ? '1' : '0';
  return { intra_op: { allow_spinning: flag }, inter_op: { allow_spinning: flag } };
}

function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let k = 0; k < vector.length; k++) vector[k]! /= norm;
  return vector;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/** `<repo>/models/<DEFAULT_EMBEDDING_MODEL>`, from shared/src or shared/dist alike. */
export function defaultModelDir(): string {
  return path.resolve(__dirname, '..', '..', '..', '..', 'models', DEFAULT_EMBEDDING_MODEL);
}

/**
 * The local embedder for the embedded knowledge base: the model in `modelDir` (the service
 * config's JITKB_EMBEDDING_MODEL_DIR), else `<repo>/models/all-minilm-l6-v2-int8`. Returns undefined, with
 * a loud warning naming the fix, when no model is installed there: the knowledge base then
 * searches with BM25 alone. A model that is present but broken is an error, not a fallback.
 */
export async function createLocalEmbedder(opts: {
  modelDir?: string;
  log: Logger;
}): Promise<Embedder | undefined> {
  const dir = path.resolve(opts.modelDir ?? defaultModelDir());
  if (!existsSync(path.join(dir, MODEL_MANIFEST))) {
    opts.log.warn(
      { modelDir: dir },
      'NO EMBEDDING MODEL INSTALLED: the knowledge base searches with BM25 only. ' +
        'Fix: run `node scripts/fetch-model.js` (needs python3 with pip), ' +
        'or set JITKB_EMBEDDING_MODEL_DIR to a folder with jitkb-model.json.',
    );
    return undefined;
  }
  return OnnxEmbedder.load({ modelDir: dir, log: opts.log });
}

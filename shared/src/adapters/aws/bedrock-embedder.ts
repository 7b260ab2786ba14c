import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { z } from 'zod';
import { AppError } from '../../errors/app-error';
import type { Embedder } from '../../ports/embedder';
import { realSleep, withBackoff, type Sleep } from './bedrock-calls';

export const TITAN_EMBED_TEXT_V2 = 'amazon.titan-embed-text-v2:0';

/** Titan text embeddings v2 reads at most 50,000 characters (8,192 tokens) of one text. */
const MAX_INPUT_CHARS = 50_000;

export interface BedrockEmbedderOptions {
  client: BedrockRuntimeClient;
  /** Default amazon.titan-embed-text-v2:0. */
  modelId?: string;
  /** 1024 (default), 512 or 256. */
  dimensions?: 256 | 512 | 1024;
  /** InvokeModel calls in flight at once for embedDocuments; Titan embeds one text a call. */
  concurrency?: number;
  sleep?: Sleep;
}

const responseSchema = z.object({ embedding: z.array(z.number()) });

/**
 * Amazon Titan text embeddings v2 through InvokeModel. Titan normalises the vectors itself
 * (`normalize: true`) and embeds queries and passages alike, so both paths are the same call.
 */
export class BedrockEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private readonly sleep: Sleep;

  constructor(private readonly options: BedrockEmbedderOptions) {
    this.name = options.modelId ?? TITAN_EMBED_TEXT_V2;
    this.dimensions = options.dimensions ?? 1024;
    this.sleep = options.sleep ?? realSleep;
  }

  async embedDocuments(texts: readonly string[]): Promise<Float32Array[]> {
    const vectors = new Array<Float32Array>(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const index = next++;
        vectors[index] = await this.embed(texts[index]!);
      }
    };
    const workers = Math.min(texts.length, this.options.concurrency ?? 4);
    await Promise.all(Array.from({ length: workers }, worker));
    return vectors;
  }

  embedQuery(text: string): Promise<Float32Array> {
    return this.embed(text);
  }

  private async embed(text: string): Promise<Float32Array> {
    const body = JSON.stringify({
      inputText: text.slice(0, MAX_INPUT_CHARS),
      dimensions: this.dimensions,
      normalize: true,
    });
    const response = await withBackoff(
      'InvokeModel',
      () =>
        this.options.client.send(
          new InvokeModelCommand({
            modelId: this.name,
            contentType: 'application/json',
            accept: 'application/json',
            body,
          }),
        ),
      { sleep: this.sleep },
    );
    const parsed = responseSchema.safeParse(parseJson(new TextDecoder().decode(response.body)));
    if (!parsed.success || parsed.data.embedding.length !== this.dimensions) {
      throw new AppError(
        'internal',
        `${this.name} answered without a ${this.dimensions}-d embedding`,
      );
    }
    return Float32Array.from(parsed.data.embedding);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON at all: the caller reports it as a missing embedding.
    return undefined;
  }
}

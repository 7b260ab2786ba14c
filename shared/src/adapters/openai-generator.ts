import { z } from 'zod';
import { AppError } from '../errors/app-error';
import type { RetrievedChunk } from '../ports/knowledge-base';
import {
  NO_ANSWER,
  type ChatTurn,
  type GenerateRequest,
  type GeneratedAnswer,
  type Generator,
} from '../ports/generator';

/** The rules every LLM generator gives its model. */
export const ANSWER_INSTRUCTIONS = [
  'You answer questions about documents.',
  'Answer only from the context passages you are given; never use other knowledge.',
  'Write plain text: no XML tags, no HTML, no passage numbers.',
  `If the context does not contain the answer, reply exactly: ${NO_ANSWER}`,
].join(' ');

export const CONDENSE_INSTRUCTIONS = [
  'Rewrite the last question of the conversation as one standalone question that can be',
  'understood without the conversation. Reply with the question only.',
].join(' ');

/** The context passages, numbered, as the last user message carries them. */
export function contextMessage(question: string, context: readonly RetrievedChunk[]): string {
  const passages = context.map(
    (chunk, index) => `Passage ${index + 1} (from ${chunk.fileName}):\n${chunk.text}`,
  );
  return `Context:\n\n${passages.join('\n\n')}\n\nQuestion: ${question}`;
}

/** An LLM's reply as an answer: the refusal is normalised to NO_ANSWER and cites nothing. */
export function toGeneratedAnswer(
  text: string,
  context: readonly RetrievedChunk[],
): GeneratedAnswer {
  const answer = text.trim();
  if (answer.length === 0 || answer.includes(NO_ANSWER.slice(0, -1))) {
    return { answer: NO_ANSWER, used: [] };
  }
  // The model cannot say which passages it used; every passage it was given is a source.
  return { answer, used: [...context] };
}

/** The conversation as the model sees it: earlier turns, then the context and the question. */
export function conversationOf(
  request: GenerateRequest,
): Array<{ role: 'user' | 'assistant'; content: string }> {
  return [
    ...request.history.map((turn) => ({ role: turn.role, content: turn.text })),
    { role: 'user' as const, content: contextMessage(request.question, request.context) },
  ];
}

/** The history and question for a condensing call, as one message. */
export function condenseMessage(question: string, history: readonly ChatTurn[]): string {
  const lines = history.map(
    (turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}`,
  );
  return `Conversation:\n${lines.join('\n')}\n\nLast question: ${question}`;
}

export interface OpenAiGeneratorOptions {
  /** Base URL of an OpenAI-compatible API, up to and including `/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as a bearer token when set (local servers usually need none). */
  apiKey?: string | undefined;
  temperature?: number;
  maxTokens?: number;
  /** Timeout of each request (default 60 s). */
  timeoutMs?: number;
  /** The seam for tests and proxies (default: global fetch). */
  fetch?: typeof fetch;
}

const completionSchema = z.object({
  choices: z
    .array(z.object({ message: z.object({ content: z.string().nullable().optional() }) }))
    .min(1),
});

const chunkSchema = z.object({
  choices: z.array(
    z.object({ delta: z.object({ content: z.string().nullable().optional() }).optional() }),
  ),
});

type WireMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/**
 * A generator on any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp
 * server), with streaming over server-sent events.
 */
export class OpenAiGenerator implements Generator {
  readonly name = 'openai';
  private readonly url: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: OpenAiGeneratorOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    this.fetch = options.fetch ?? fetch;
  }

  async generate(request: GenerateRequest): Promise<GeneratedAnswer> {
    const text = await this.complete([
      { role: 'system', content: ANSWER_INSTRUCTIONS },
      ...conversationOf(request),
    ]);
    return toGeneratedAnswer(text, request.context);
  }

  async *stream(request: GenerateRequest): AsyncGenerator<string, GeneratedAnswer> {
    const response = await this.post(
      [{ role: 'system', content: ANSWER_INSTRUCTIONS }, ...conversationOf(request)],
      true,
    );
    let text = '';
    for await (const data of sseData(response)) {
      if (data === '[DONE]') break;
      const parsed = chunkSchema.safeParse(parseJson(data));
      if (!parsed.success) throw badReply(parsed.error);
      const piece = parsed.data.choices[0]?.delta?.content ?? '';
      if (piece.length === 0) continue;
      text += piece;
      yield piece;
    }
    return toGeneratedAnswer(text, request.context);
  }

  async condense(question: string, history: readonly ChatTurn[]): Promise<string> {
    if (history.length === 0) return question;
    const text = await this.complete([
      { role: 'system', content: CONDENSE_INSTRUCTIONS },
      { role: 'user', content: condenseMessage(question, history) },
    ]);
    return text.trim() || question;
  }

  private async complete(messages: WireMessage[]): Promise<string> {
    const response = await this.post(messages, false);
    const parsed = completionSchema.safeParse(parseJson(await response.text()));
    if (!parsed.success) throw badReply(parsed.error);
    return parsed.data.choices[0]?.message.content ?? '';
  }

  private async post(messages: WireMessage[], stream: boolean): Promise<Response> {
    const { model, apiKey, temperature, maxTokens, timeoutMs } = this.options;
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify({
          model,
          messages,
          stream,
          temperature: temperature ?? 0,
          ...(maxTokens !== undefined ? { max_tokens: maxTokens } : {}),
        }),
        signal: AbortSignal.timeout(timeoutMs ?? 60_000),
      });
    } catch (error) {
      throw new AppError('unavailable', 'the language model cannot be reached', {
        cause: error,
        retryable: true,
      });
    }
    if (!response.ok) {
      const retryable = response.status === 429 || response.status >= 500;
      await response.body?.cancel();
      throw new AppError(
        retryable ? 'unavailable' : 'internal',
        `the language model answered ${response.status}`,
        { retryable },
      );
    }
    return response;
  }
}

/** Parsed JSON, or undefined for text that is not JSON (the schema check then reports it). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function badReply(cause: unknown): AppError {
  return new AppError('unavailable', 'the language model sent a reply that cannot be read', {
    cause,
    retryable: true,
  });
}

/** The `data:` payloads of a server-sent event stream, one per event. */
export async function* sseData(response: Response): AsyncGenerator<string> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      finished = done;
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
      if (done) break;
    }
    if (data.length > 0) yield data.join('\n');
  } finally {
    // Stops the download when the consumer gives up early.
    if (!finished) await reader.cancel();
  }
}

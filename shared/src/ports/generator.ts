import type { RetrievedChunk } from './knowledge-base';

/** The exact answer when the context does not support one. */
export const NO_ANSWER = "Sorry, I don't know.";

export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

export interface GenerateRequest {
  question: string;
  context: readonly RetrievedChunk[];
  history: readonly ChatTurn[];
}

export interface GeneratedAnswer {
  answer: string;
  /** The chunks the answer draws on (a subset of the context). */
  used: RetrievedChunk[];
}

/** Writes an answer from retrieved context: extractive, OpenAI-compatible, or Bedrock. */
export interface Generator {
  readonly name: string;
  generate(request: GenerateRequest): Promise<GeneratedAnswer>;
  /** Streams the answer as text pieces; the final result carries the sources. */
  stream?(request: GenerateRequest): AsyncGenerator<string, GeneratedAnswer>;
  /** Rewrites a follow-up question into a standalone one using the history. */
  condense?(question: string, history: readonly ChatTurn[]): Promise<string>;
}

import type { RetrievalFilter, RetrievedChunk } from './knowledge-base';

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

/** One question for a generator that retrieves by itself (Bedrock RetrieveAndGenerate). */
export interface RetrieveAndGenerateRequest {
  question: string;
  /** From `buildRetrievalFilter`: the tenant, the project and the live files of the chat. */
  filter: RetrievalFilter;
  /** The provider's session of the previous answer in the same chat session, if any. */
  sessionId?: string | undefined;
  /** Passages to retrieve. */
  k?: number;
}

export interface RetrievedAndGeneratedAnswer extends GeneratedAnswer {
  /** The provider's session, to pass back with the next question of the chat session. */
  sessionId: string | undefined;
}

/** Writes an answer from retrieved context: extractive, OpenAI-compatible, or Bedrock. */
export interface Generator {
  readonly name: string;
  generate(request: GenerateRequest): Promise<GeneratedAnswer>;
  /** Streams the answer as text pieces; the final result carries the sources. */
  stream?(request: GenerateRequest): AsyncGenerator<string, GeneratedAnswer>;
  /** Rewrites a follow-up question into a standalone one using the history. */
  condense?(question: string, history: readonly ChatTurn[]): Promise<string>;
  /**
   * Retrieves and answers in one call, keeping the conversation in the provider's session. When a
   * generator has it, the chat uses it instead of retrieving through the knowledge base port.
   */
  retrieveAndGenerate?(request: RetrieveAndGenerateRequest): Promise<RetrievedAndGeneratedAnswer>;
}

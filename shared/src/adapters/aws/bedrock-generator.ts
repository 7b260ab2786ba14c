import {
  BedrockAgentRuntimeClient,
  RetrieveAndGenerateCommand,
  type RetrieveAndGenerateCommandOutput,
  type RetrievedReference,
} from '@aws-sdk/client-bedrock-agent-runtime';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { BEDROCK_METADATA_KEYS, toBedrockFilter } from '../../knowledge-base/filter';
import type { RetrievedChunk } from '../../ports/knowledge-base';
import {
  NO_ANSWER,
  type ChatTurn,
  type GenerateRequest,
  type GeneratedAnswer,
  type Generator,
  type RetrieveAndGenerateRequest,
  type RetrievedAndGeneratedAnswer,
} from '../../ports/generator';
import {
  ANSWER_INSTRUCTIONS,
  CONDENSE_INSTRUCTIONS,
  condenseMessage,
  conversationOf,
  toGeneratedAnswer,
} from '../openai-generator';
import { toAppError } from './messaging-errors';

/** RetrieveAndGenerate's prompt: Bedrock fills in the passages and its citation format. */
export const RETRIEVE_AND_GENERATE_TEMPLATE = `${ANSWER_INSTRUCTIONS}

Context passages:
$search_results$

$output_format_instructions$`;

export interface BedrockGeneratorOptions {
  /** A model id or inference profile for Converse, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  modelId: string;
  /** Needed to build the model ARN of RetrieveAndGenerate when `modelId` is not an ARN. */
  region?: string | undefined;
  /** The seam: pass a configured client (tests pass one that aws-sdk-client-mock intercepts). */
  client?: BedrockRuntimeClient;
  /** With a knowledge base, the generator also offers `retrieveAndGenerate`. */
  knowledgeBase?: { knowledgeBaseId: string; client?: BedrockAgentRuntimeClient };
  maxTokens?: number;
  temperature?: number;
}

/**
 * Bedrock: Converse and ConverseStream on the retrieved context, and, with a knowledge base,
 * RetrieveAndGenerate under the same tenant, project and live-file filter as any retrieval.
 */
export class BedrockGenerator implements Generator {
  readonly name = 'bedrock';
  readonly retrieveAndGenerate?: (
    request: RetrieveAndGenerateRequest,
  ) => Promise<RetrievedAndGeneratedAnswer>;
  private readonly client: BedrockRuntimeClient;

  constructor(private readonly options: BedrockGeneratorOptions) {
    this.client =
      options.client ?? new BedrockRuntimeClient(options.region ? { region: options.region } : {});
    const kb = options.knowledgeBase;
    if (kb) {
      const agent =
        kb.client ??
        new BedrockAgentRuntimeClient(options.region ? { region: options.region } : {});
      this.retrieveAndGenerate = (request) => this.ragOnce(agent, kb.knowledgeBaseId, request);
    }
  }

  async generate(request: GenerateRequest): Promise<GeneratedAnswer> {
    const text = await this.converse(ANSWER_INSTRUCTIONS, messagesOf(request));
    return toGeneratedAnswer(text, request.context);
  }

  async *stream(request: GenerateRequest): AsyncGenerator<string, GeneratedAnswer> {
    let output;
    try {
      output = await this.client.send(
        new ConverseStreamCommand({
          ...this.base(ANSWER_INSTRUCTIONS),
          messages: messagesOf(request),
        }),
      );
    } catch (error) {
      throw toAppError(error, 'Bedrock ConverseStream');
    }
    let text = '';
    try {
      for await (const event of output.stream ?? []) {
        const piece = event.contentBlockDelta?.delta?.text;
        if (piece === undefined || piece.length === 0) continue;
        text += piece;
        yield piece;
      }
    } catch (error) {
      throw toAppError(error, 'Bedrock ConverseStream');
    }
    return toGeneratedAnswer(text, request.context);
  }

  async condense(question: string, history: readonly ChatTurn[]): Promise<string> {
    if (history.length === 0) return question;
    const text = await this.converse(CONDENSE_INSTRUCTIONS, [
      { role: 'user', content: [{ text: condenseMessage(question, history) }] },
    ]);
    return text.trim() || question;
  }

  private base(system: string) {
    return {
      modelId: this.options.modelId,
      system: [{ text: system }],
      inferenceConfig: {
        temperature: this.options.temperature ?? 0,
        ...(this.options.maxTokens !== undefined ? { maxTokens: this.options.maxTokens } : {}),
      },
    };
  }

  private async converse(system: string, messages: Message[]): Promise<string> {
    try {
      const output = await this.client.send(
        new ConverseCommand({ ...this.base(system), messages }),
      );
      const content = output.output?.message?.content ?? [];
      return content.map((block) => block.text ?? '').join('');
    } catch (error) {
      throw toAppError(error, 'Bedrock Converse');
    }
  }

  private async ragOnce(
    agent: BedrockAgentRuntimeClient,
    knowledgeBaseId: string,
    request: RetrieveAndGenerateRequest,
  ): Promise<RetrievedAndGeneratedAnswer> {
    // Bedrock refuses an empty `in` list; no live file means nothing can answer.
    if (request.filter.fileIds.length === 0) {
      return { answer: NO_ANSWER, used: [], sessionId: request.sessionId };
    }
    let output: RetrieveAndGenerateCommandOutput;
    try {
      output = await agent.send(
        new RetrieveAndGenerateCommand({
          input: { text: request.question },
          ...(request.sessionId ? { sessionId: request.sessionId } : {}),
          retrieveAndGenerateConfiguration: {
            type: 'KNOWLEDGE_BASE',
            knowledgeBaseConfiguration: {
              knowledgeBaseId,
              modelArn: this.modelArn(),
              retrievalConfiguration: {
                vectorSearchConfiguration: {
                  filter: toBedrockFilter(request.filter),
                  ...(request.k !== undefined ? { numberOfResults: request.k } : {}),
                },
              },
              generationConfiguration: {
                promptTemplate: { textPromptTemplate: RETRIEVE_AND_GENERATE_TEMPLATE },
              },
            },
          },
        }),
      );
    } catch (error) {
      throw toAppError(error, 'Bedrock RetrieveAndGenerate');
    }
    const references = (output.citations ?? []).flatMap((c) => c.retrievedReferences ?? []);
    const used = dedupe(
      references.map(toChunk).filter((c): c is RetrievedChunk => c !== undefined),
    );
    const answer = toGeneratedAnswer(output.output?.text ?? '', used);
    return { ...answer, sessionId: output.sessionId ?? request.sessionId };
  }

  private modelArn(): string {
    const { modelId, region } = this.options;
    if (modelId.startsWith('arn:')) return modelId;
    if (!region) throw new Error('BedrockGenerator needs a region to build the model ARN');
    return `arn:aws:bedrock:${region}::foundation-model/${modelId}`;
  }
}

/** Converse wants turns that start with the user and alternate; stored history may not. */
function messagesOf(request: GenerateRequest): Message[] {
  const messages: Message[] = [];
  for (const turn of conversationOf(request)) {
    const last = messages[messages.length - 1];
    if (messages.length === 0 && turn.role === 'assistant') continue;
    if (last && last.role === turn.role) {
      last.content = [...(last.content ?? []), { text: turn.content }];
    } else {
      messages.push({ role: turn.role, content: [{ text: turn.content }] });
    }
  }
  return messages;
}

function metadataString(reference: RetrievedReference, key: string): string | undefined {
  const value = reference.metadata?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** A cited reference as a chunk; Bedrock reports no score for citations, hence 0. */
function toChunk(reference: RetrievedReference): RetrievedChunk | undefined {
  const fileId = metadataString(reference, BEDROCK_METADATA_KEYS.fileId);
  const text = reference.content?.text;
  if (!fileId || !text) return undefined;
  return {
    text,
    score: 0,
    fileId,
    fileName: metadataString(reference, BEDROCK_METADATA_KEYS.fileName) ?? fileId,
    index: 0,
    start: 0,
    end: text.length,
  };
}

function dedupe(chunks: RetrievedChunk[]): RetrievedChunk[] {
  const seen = new Set<string>();
  return chunks.filter((chunk) => {
    const key = `${chunk.fileId}\u0000${chunk.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { z } from 'zod';
import { booleanFlag, type ModeConfig } from '../config/base';
import { ConfigError } from '../config/load-config';
import type { Logger } from '../logging/logger';
import type { Generator } from '../ports/generator';
import { ExtractiveGenerator } from './local/extractive-generator';
import { OpenAiGenerator } from './openai-generator';

/** The generator variables; service schemas spread them in (`...generatorEnv`). */
export const generatorEnv = {
  /** `extractive` (offline, the default), `openai` (any compatible endpoint) or `bedrock`. */
  GENERATOR: z.enum(['extractive', 'openai', 'bedrock']).default('extractive'),
  /** The OpenAI-compatible API, up to and including `/v1` (e.g. Ollama's `http://host:11434/v1`). */
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  /** Sent as a bearer token; local servers usually need none. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** A Bedrock model id, inference profile id or ARN. */
  BEDROCK_MODEL_ID: z.string().min(1).optional(),
  /**
   * Answer with Bedrock RetrieveAndGenerate on BEDROCK_KNOWLEDGE_BASE_ID instead of retrieving
   * through the knowledge base and calling Converse.
   */
  BEDROCK_RETRIEVE_AND_GENERATE: booleanFlag.default(false),
  /** Largest answer in tokens, for the LLM generators. */
  GENERATOR_MAX_TOKENS: z.coerce.number().int().positive().optional(),
  /** Timeout of one LLM request, in seconds. */
  GENERATOR_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
};

export type GeneratorEnv = z.output<z.ZodObject<typeof generatorEnv>>;

/** What createGenerator reads: the mode (for the region), the generator variables, the KB id. */
export type GeneratorConfig = ModeConfig &
  GeneratorEnv & { BEDROCK_KNOWLEDGE_BASE_ID?: string | undefined };

export interface CreateGeneratorOptions {
  log: Logger;
}

function required(value: string | undefined, variable: string, when: string): string {
  if (value === undefined) {
    throw new ConfigError([variable], `invalid configuration: ${variable}: required ${when}`);
  }
  return value;
}

/**
 * The one place that picks the generator. The Bedrock adapter, and with it the AWS SDK, is loaded
 * only when `GENERATOR=bedrock`. A missing variable throws ConfigError naming it.
 */
export function createGenerator(
  config: GeneratorConfig,
  options: CreateGeneratorOptions,
): Generator {
  const maxTokens = config.GENERATOR_MAX_TOKENS;
  let generator: Generator;
  if (config.GENERATOR === 'openai') {
    const when = 'when GENERATOR=openai';
    generator = new OpenAiGenerator({
      baseUrl: required(config.OPENAI_BASE_URL, 'OPENAI_BASE_URL', when),
      model: required(config.OPENAI_MODEL, 'OPENAI_MODEL', when),
      apiKey: config.OPENAI_API_KEY,
      timeoutMs: config.GENERATOR_TIMEOUT_SECONDS * 1000,
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    });
  } else if (config.GENERATOR === 'bedrock') {
    generator = createBedrockGenerator(config, maxTokens);
  } else {
    generator = new ExtractiveGenerator();
  }
  options.log.info({ generator: generator.name }, 'generator selected');
  return generator;
}

function createBedrockGenerator(config: GeneratorConfig, maxTokens: number | undefined): Generator {
  const modelId = required(config.BEDROCK_MODEL_ID, 'BEDROCK_MODEL_ID', 'when GENERATOR=bedrock');
  const region = config.JITKB_MODE === 'aws' ? config.AWS_REGION : undefined;
  let knowledgeBase: { knowledgeBaseId: string } | undefined;
  if (config.BEDROCK_RETRIEVE_AND_GENERATE) {
    const when = 'when BEDROCK_RETRIEVE_AND_GENERATE is on';
    knowledgeBase = {
      knowledgeBaseId: required(
        config.BEDROCK_KNOWLEDGE_BASE_ID,
        'BEDROCK_KNOWLEDGE_BASE_ID',
        when,
      ),
    };
    if (!region && !modelId.startsWith('arn:')) {
      throw new ConfigError(
        ['BEDROCK_MODEL_ID'],
        `invalid configuration: BEDROCK_MODEL_ID: must be an ARN ${when} outside aws mode`,
      );
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bedrock = require('./aws/bedrock-generator') as typeof import('./aws/bedrock-generator');
  return new bedrock.BedrockGenerator({
    modelId,
    region,
    ...(knowledgeBase ? { knowledgeBase } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  });
}

import { z } from 'zod';
import { createGenerator, generatorEnv } from '../src/adapters/generator';
import { embeddedModeSchema } from '../src/config/base';
import { ConfigError } from '../src/config/load-config';
import { createLogger } from '../src/logging/logger';

const schema = embeddedModeSchema.extend(generatorEnv).extend({
  BEDROCK_KNOWLEDGE_BASE_ID: z.string().optional(),
});
const log = createLogger({ service: 'test', level: 'silent' });
const make = (env: Record<string, string>) =>
  createGenerator(schema.parse({ JITKB_MODE: 'embedded', ...env }), { log });

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('createGenerator', () => {
  it('picks the extractive generator by default', () => {
    const generator = make({});
    expect(generator.name).toBe('extractive');
    expect(generator.condense).toBeDefined();
  });

  it('picks the OpenAI-compatible generator with its URL and model', () => {
    expect(
      make({
        GENERATOR: 'openai',
        OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        OPENAI_MODEL: 'llama3',
      }).name,
    ).toBe('openai');
  });

  it('names the missing variable of the chosen generator', () => {
    expect(configErrorOf(() => make({ GENERATOR: 'openai', OPENAI_MODEL: 'm' })).variables).toEqual(
      ['OPENAI_BASE_URL'],
    );
    expect(configErrorOf(() => make({ GENERATOR: 'bedrock' })).variables).toEqual([
      'BEDROCK_MODEL_ID',
    ]);
    expect(
      configErrorOf(() =>
        make({
          GENERATOR: 'bedrock',
          BEDROCK_MODEL_ID: 'm',
          BEDROCK_RETRIEVE_AND_GENERATE: 'true',
        }),
      ).variables,
    ).toEqual(['BEDROCK_KNOWLEDGE_BASE_ID']);
  });

  it('loads the Bedrock generator, with RetrieveAndGenerate only when asked for', () => {
    const plain = make({ GENERATOR: 'bedrock', BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku' });
    expect(plain.name).toBe('bedrock');
    expect(plain.retrieveAndGenerate).toBeUndefined();
    const rag = make({
      GENERATOR: 'bedrock',
      BEDROCK_MODEL_ID: 'arn:aws:bedrock:eu-west-1::foundation-model/x',
      BEDROCK_RETRIEVE_AND_GENERATE: 'true',
      BEDROCK_KNOWLEDGE_BASE_ID: 'KB1',
    });
    expect(rag.retrieveAndGenerate).toBeDefined();
  });

  it('rejects an unknown generator name', () => {
    expect(schema.safeParse({ JITKB_MODE: 'embedded', GENERATOR: 'gpt' }).success).toBe(false);
  });
});

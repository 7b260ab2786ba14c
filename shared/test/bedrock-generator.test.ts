import {
  BedrockAgentRuntimeClient,
  RetrieveAndGenerateCommand,
} from '@aws-sdk/client-bedrock-agent-runtime';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  ThrottlingException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BedrockGenerator,
  RETRIEVE_AND_GENERATE_TEMPLATE,
} from '../src/adapters/aws/bedrock-generator';
import { ANSWER_INSTRUCTIONS } from '../src/adapters/openai-generator';
import { buildRetrievalFilter } from '../src/knowledge-base/filter';
import { NO_ANSWER } from '../src/ports/generator';
import type { RetrievedChunk } from '../src/ports/knowledge-base';

const context: RetrievedChunk[] = [
  {
    text: 'The kettle has a two-year warranty.',
    score: 0.9,
    fileId: 'f1',
    fileName: 'kettle.md',
    index: 0,
    start: 0,
    end: 35,
  },
];
const tenant = { tenantId: 't1', userId: 'u1', email: undefined, tier: 'free' };
const FAR = 4_000_000_000;

function runtime() {
  const client = new BedrockRuntimeClient({ region: 'eu-west-1' });
  return { client, mock: mockClient(client) };
}

describe('BedrockGenerator with Converse', () => {
  it('sends the instructions as system, alternating turns from the user, and the context', async () => {
    const { client, mock } = runtime();
    mock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: 'Two years.' }] } },
      stopReason: 'end_turn',
    });
    const generator = new BedrockGenerator({
      modelId: 'anthropic.claude-3-haiku',
      client,
      maxTokens: 300,
    });
    const result = await generator.generate({
      question: 'How long is the warranty?',
      context,
      // A history that starts with the assistant (a cut window) must not reach Bedrock as is.
      history: [
        { role: 'assistant', text: 'Hello.' },
        { role: 'user', text: 'Is there a warranty?' },
        { role: 'assistant', text: 'Yes.' },
      ],
    });
    expect(result).toEqual({ answer: 'Two years.', used: context });
    const calls = mock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      modelId: 'anthropic.claude-3-haiku',
      system: [{ text: ANSWER_INSTRUCTIONS }],
      inferenceConfig: { temperature: 0, maxTokens: 300 },
      messages: [
        { role: 'user', content: [{ text: 'Is there a warranty?' }] },
        { role: 'assistant', content: [{ text: 'Yes.' }] },
        {
          role: 'user',
          content: [
            {
              text:
                'Context:\n\nPassage 1 (from kettle.md):\nThe kettle has a two-year warranty.\n\n' +
                'Question: How long is the warranty?',
            },
          ],
        },
      ],
    });
  });

  it('streams the text deltas of ConverseStream', async () => {
    const { client, mock } = runtime();
    async function* events(): AsyncGenerator<ConverseStreamOutput> {
      yield { messageStart: { role: 'assistant' } };
      yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Two' } } };
      yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: ' years.' } } };
      yield { messageStop: { stopReason: 'end_turn' } };
    }
    mock.on(ConverseStreamCommand).resolves({ stream: events() });
    const generator = new BedrockGenerator({ modelId: 'm', client });
    const stream = generator.stream({ question: 'q', context, history: [] });
    const pieces: string[] = [];
    let step = await stream.next();
    while (!step.done) {
      pieces.push(step.value);
      step = await stream.next();
    }
    expect(pieces).toEqual(['Two', ' years.']);
    expect(step.value).toEqual({ answer: 'Two years.', used: context });
    expect(mock.commandCalls(ConverseStreamCommand)[0]?.args[0].input.system).toEqual([
      { text: ANSWER_INSTRUCTIONS },
    ]);
  });

  it('turns throttling into a retryable unavailable error', async () => {
    const { client, mock } = runtime();
    mock
      .on(ConverseCommand)
      .rejects(
        new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }),
      );
    const generator = new BedrockGenerator({ modelId: 'm', client });
    await expect(generator.generate({ question: 'q', context, history: [] })).rejects.toMatchObject(
      {
        code: 'unavailable',
        retryable: true,
      },
    );
  });

  it('has no retrieveAndGenerate without a knowledge base', () => {
    expect(
      new BedrockGenerator({ modelId: 'm', client: runtime().client }).retrieveAndGenerate,
    ).toBeUndefined();
  });
});

describe('BedrockGenerator with RetrieveAndGenerate', () => {
  function agent() {
    const client = new BedrockAgentRuntimeClient({ region: 'eu-west-1' });
    return { client, mock: mockClient(client) };
  }

  it('sends the tenant, project and live-file filter, the session, and cites the references', async () => {
    const { client, mock } = agent();
    mock.on(RetrieveAndGenerateCommand).resolves({
      sessionId: 'bedrock-session-1',
      output: { text: 'Two years.' },
      citations: [
        {
          generatedResponsePart: {
            textResponsePart: { text: 'Two years.', span: { start: 0, end: 9 } },
          },
          retrievedReferences: [
            {
              content: { text: 'The kettle has a two-year warranty.' },
              metadata: { fileId: 'f1', fileName: 'kettle.md', tenantId: 't1', projectId: 'p1' },
            },
            // The same passage cited twice is one source.
            {
              content: { text: 'The kettle has a two-year warranty.' },
              metadata: { fileId: 'f1', fileName: 'kettle.md' },
            },
          ],
        },
      ],
    });
    const generator = new BedrockGenerator({
      modelId: 'anthropic.claude-3-haiku',
      region: 'eu-west-1',
      client: runtime().client,
      knowledgeBase: { knowledgeBaseId: 'KB123', client },
    });
    const filter = buildRetrievalFilter(tenant, 'p1', [
      { fileId: 'f1', ttl: FAR },
      { fileId: 'f2', ttl: 1 },
    ]);
    const result = await generator.retrieveAndGenerate?.({
      question: 'How long is the warranty?',
      filter,
      sessionId: 'bedrock-session-0',
      k: 5,
    });
    expect(result).toEqual({
      answer: 'Two years.',
      sessionId: 'bedrock-session-1',
      used: [
        {
          text: 'The kettle has a two-year warranty.',
          score: 0,
          fileId: 'f1',
          fileName: 'kettle.md',
          index: 0,
          start: 0,
          end: 35,
        },
      ],
    });
    expect(mock.commandCalls(RetrieveAndGenerateCommand)[0]?.args[0].input).toEqual({
      input: { text: 'How long is the warranty?' },
      sessionId: 'bedrock-session-0',
      retrieveAndGenerateConfiguration: {
        type: 'KNOWLEDGE_BASE',
        knowledgeBaseConfiguration: {
          knowledgeBaseId: 'KB123',
          modelArn: 'arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku',
          retrievalConfiguration: {
            vectorSearchConfiguration: {
              numberOfResults: 5,
              filter: {
                andAll: [
                  { equals: { key: 'tenantId', value: 't1' } },
                  { equals: { key: 'projectId', value: 'p1' } },
                  { in: { key: 'fileId', value: ['f1'] } },
                ],
              },
            },
          },
          generationConfiguration: {
            promptTemplate: { textPromptTemplate: RETRIEVE_AND_GENERATE_TEMPLATE },
          },
        },
      },
    });
    expect(RETRIEVE_AND_GENERATE_TEMPLATE).toContain('$search_results$');
  });

  it('starts without a session and refuses without asking when no file is live', async () => {
    const { client, mock } = agent();
    mock
      .on(RetrieveAndGenerateCommand)
      .resolves({ sessionId: 's-new', output: { text: NO_ANSWER } });
    const generator = new BedrockGenerator({
      modelId: 'arn:aws:bedrock:us-east-1:123:inference-profile/x',
      client: runtime().client,
      knowledgeBase: { knowledgeBaseId: 'KB123', client },
    });
    const none = buildRetrievalFilter(tenant, 'p1', [{ fileId: 'f1', ttl: 1 }]);
    await expect(generator.retrieveAndGenerate?.({ question: 'q', filter: none })).resolves.toEqual(
      {
        answer: NO_ANSWER,
        used: [],
        sessionId: undefined,
      },
    );
    expect(mock.commandCalls(RetrieveAndGenerateCommand)).toHaveLength(0);

    const live = buildRetrievalFilter(tenant, 'p1', [{ fileId: 'f1', ttl: FAR }]);
    const result = await generator.retrieveAndGenerate?.({ question: 'q', filter: live });
    expect(result).toEqual({ answer: NO_ANSWER, used: [], sessionId: 's-new' });
    const input = mock.commandCalls(RetrieveAndGenerateCommand)[0]?.args[0].input;
    expect(input?.sessionId).toBeUndefined();
    expect(input?.retrieveAndGenerateConfiguration?.knowledgeBaseConfiguration?.modelArn).toBe(
      'arn:aws:bedrock:us-east-1:123:inference-profile/x',
    );
  });
});

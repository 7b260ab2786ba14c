import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  ThrottlingException,
  type InvokeModelCommandInput,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { BedrockEmbedder } from '../src/adapters/aws/bedrock-embedder';
import { AppError } from '../src/errors/app-error';

const runtimeMock = mockClient(BedrockRuntimeClient);
const sleeps: number[] = [];

/** What Titan answers: the vector depends on the text, so results can be told apart. */
/** The request body, which the embedder sends as a JSON string. */
function bodyOf(input: InvokeModelCommandInput): unknown {
  if (typeof input.body !== 'string') throw new Error('expected a JSON string body');
  return JSON.parse(input.body);
}

function titanAnswer(input: InvokeModelCommandInput, dimensions = 256) {
  const { inputText } = bodyOf(input) as { inputText: string };
  const embedding = Array.from({ length: dimensions }, (_, i) => (i === 0 ? inputText.length : 0));
  return {
    body: new TextEncoder().encode(JSON.stringify({ embedding, inputTextTokenCount: 3 })),
    contentType: 'application/json',
  };
}

function makeEmbedder() {
  return new BedrockEmbedder({
    client: new BedrockRuntimeClient({ region: 'us-east-1' }),
    dimensions: 256,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => {
  runtimeMock.reset();
  sleeps.length = 0;
});

describe('BedrockEmbedder', () => {
  it('calls Titan text embeddings v2 with normalised vectors of the configured size', async () => {
    runtimeMock
      .on(InvokeModelCommand)
      .callsFake((input: InvokeModelCommandInput) => titanAnswer(input));
    const vector = await makeEmbedder().embedQuery('hello');
    const input = runtimeMock.commandCalls(InvokeModelCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      modelId: 'amazon.titan-embed-text-v2:0',
      contentType: 'application/json',
      accept: 'application/json',
    });
    expect(bodyOf(input)).toEqual({
      inputText: 'hello',
      dimensions: 256,
      normalize: true,
    });
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector).toHaveLength(256);
    expect(vector[0]).toBe(5);
  });

  it('embeds many texts, one call each, and keeps their order', async () => {
    runtimeMock
      .on(InvokeModelCommand)
      .callsFake((input: InvokeModelCommandInput) => titanAnswer(input));
    const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff'];
    const vectors = await makeEmbedder().embedDocuments(texts);
    expect(vectors.map((v) => v[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(runtimeMock.commandCalls(InvokeModelCommand)).toHaveLength(6);
  });

  it('cuts a text to what Titan accepts', async () => {
    runtimeMock
      .on(InvokeModelCommand)
      .callsFake((input: InvokeModelCommandInput) => titanAnswer(input));
    const [vector] = await makeEmbedder().embedDocuments(['x'.repeat(80_000)]);
    expect(vector![0]).toBe(50_000);
  });

  it('backs off and retries while Bedrock throttles', async () => {
    let calls = 0;
    runtimeMock.on(InvokeModelCommand).callsFake((input: InvokeModelCommandInput) => {
      if (++calls <= 2) throw new ThrottlingException({ message: 'slow down', $metadata: {} });
      return titanAnswer(input);
    });
    await makeEmbedder().embedQuery('hello');
    expect(calls).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThanOrEqual(500);
  });

  it('rejects an answer of the wrong size', async () => {
    runtimeMock
      .on(InvokeModelCommand)
      .callsFake((input: InvokeModelCommandInput) => titanAnswer(input, 1024));
    await expect(makeEmbedder().embedQuery('hello')).rejects.toBeInstanceOf(AppError);
  });
});

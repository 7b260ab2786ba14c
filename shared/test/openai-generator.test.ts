import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ANSWER_INSTRUCTIONS, OpenAiGenerator } from '../src/adapters/openai-generator';
import { AppError } from '../src/errors/app-error';
import { NO_ANSWER } from '../src/ports/generator';
import type { RetrievedChunk } from '../src/ports/knowledge-base';

interface Recorded {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

type Reply = (res: ServerResponse, body: Record<string, unknown>) => void;

/** A loopback server speaking the chat-completions wire format; records what it is sent. */
async function startServer(
  reply: Reply,
): Promise<{ url: string; requests: Recorded[]; server: Server }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => (text += piece));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      reply(res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1`, requests, server };
}

const json =
  (content: string): Reply =>
  (res) => {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      }),
    );
  };

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
  {
    text: 'The lid is dishwasher safe.',
    score: 0.5,
    fileId: 'f2',
    fileName: 'lid.txt',
    index: 3,
    start: 90,
    end: 117,
  },
];

describe('OpenAiGenerator', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  async function serve(reply: Reply) {
    const started = await startServer(reply);
    servers.push(started.server);
    return started;
  }

  it('sends the instructions, the history, and the numbered context with the question', async () => {
    const { url, requests } = await serve(json('Two years.'));
    const generator = new OpenAiGenerator({
      baseUrl: `${url}/`,
      model: 'llama3',
      apiKey: 'k-1',
      maxTokens: 200,
    });
    const result = await generator.generate({
      question: 'And the lid?',
      context,
      history: [
        { role: 'user', text: 'How long is the warranty?' },
        { role: 'assistant', text: 'Two years.' },
      ],
    });
    expect(result).toEqual({ answer: 'Two years.', used: context });
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer k-1');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({
      model: 'llama3',
      stream: false,
      temperature: 0,
      max_tokens: 200,
      messages: [
        { role: 'system', content: ANSWER_INSTRUCTIONS },
        { role: 'user', content: 'How long is the warranty?' },
        { role: 'assistant', content: 'Two years.' },
        {
          role: 'user',
          content:
            'Context:\n\nPassage 1 (from kettle.md):\nThe kettle has a two-year warranty.\n\n' +
            'Passage 2 (from lid.txt):\nThe lid is dishwasher safe.\n\nQuestion: And the lid?',
        },
      ],
    });
  });

  it('tells the model to answer only from the context, without XML tags, or refuse exactly', () => {
    expect(ANSWER_INSTRUCTIONS).toContain('only from the context');
    expect(ANSWER_INSTRUCTIONS).toContain('no XML tags');
    expect(ANSWER_INSTRUCTIONS).toContain(`reply exactly: ${NO_ANSWER}`);
  });

  it('turns a refusal into exactly the no-answer sentence with no sources', async () => {
    const { url, requests } = await serve(json("  Sorry, I don't know  "));
    const generator = new OpenAiGenerator({ baseUrl: url, model: 'm' });
    await expect(generator.generate({ question: 'q', context, history: [] })).resolves.toEqual({
      answer: NO_ANSWER,
      used: [],
    });
    expect(requests[0]?.headers.authorization).toBeUndefined();
  });

  it('streams the pieces of server-sent events, even when events are split across writes', async () => {
    const { url, requests } = await serve((res) => {
      res.setHeader('content-type', 'text/event-stream');
      const event = (content: string) =>
        `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
      const wire = `${event('The kettle')}: keep-alive comment\n\n${event(' has a')}${event(' two-year warranty.')}data: [DONE]\n\n`;
      // Cut mid-event so that the client has to reassemble lines.
      res.write(wire.slice(0, 37));
      setTimeout(() => res.end(wire.slice(37)), 20);
    });
    const generator = new OpenAiGenerator({ baseUrl: url, model: 'm' });
    const stream = generator.stream({ question: 'q', context, history: [] });
    const pieces: string[] = [];
    let step = await stream.next();
    while (!step.done) {
      pieces.push(step.value);
      step = await stream.next();
    }
    expect(pieces).toEqual(['The kettle', ' has a', ' two-year warranty.']);
    expect(step.value).toEqual({ answer: 'The kettle has a two-year warranty.', used: context });
    expect(requests[0]?.body.stream).toBe(true);
    expect(requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it('marks a 503 as retryable and a 400 as not', async () => {
    let status = 503;
    const { url } = await serve((res) => {
      res.statusCode = status;
      res.end('{}');
    });
    const generator = new OpenAiGenerator({ baseUrl: url, model: 'm' });
    const request = { question: 'q', context, history: [] };
    await expect(generator.generate(request)).rejects.toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
    status = 400;
    const error: unknown = await generator.generate(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'internal', retryable: false });
  });

  it('reports a reply that is not a chat completion as unavailable', async () => {
    const { url } = await serve((res) => res.end('<html>proxy error</html>'));
    const generator = new OpenAiGenerator({ baseUrl: url, model: 'm' });
    await expect(generator.generate({ question: 'q', context, history: [] })).rejects.toMatchObject(
      {
        code: 'unavailable',
      },
    );
  });

  it('condenses a follow-up with one request, and asks nothing without history', async () => {
    const { url, requests } = await serve(json(' How long is the lid warranty? \n'));
    const generator = new OpenAiGenerator({ baseUrl: url, model: 'm' });
    await expect(generator.condense('And the lid?', [])).resolves.toBe('And the lid?');
    expect(requests).toHaveLength(0);
    const condensed = await generator.condense('And the lid?', [
      { role: 'user', text: 'How long is the warranty?' },
      { role: 'assistant', text: 'Two years.' },
    ]);
    expect(condensed).toBe('How long is the lid warranty?');
    const messages = requests[0]?.body.messages as Array<{ role: string; content: string }>;
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toContain('standalone question');
    expect(messages[1]).toEqual({
      role: 'user',
      content:
        'Conversation:\nUser: How long is the warranty?\nAssistant: Two years.\n\nLast question: And the lid?',
    });
  });
});

import type { Server } from 'node:http';
import express from 'express';
import {
  bearer,
  devToken,
  startGateway,
  stubService,
  type GatewayFixture,
  type Listening,
} from './harness';

interface Upstream extends Listening {
  /** TCP connections the upstream has accepted so far. */
  connections(): number;
}

/** Serves `app` on a loopback port, counting the connections the gateway opens to it. */
async function countingUpstream(app: express.Express): Promise<Upstream> {
  let connections = 0;
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  server.on('connection', () => {
    connections++;
  });
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const BURST = 8;
let project: Upstream;
let chat: Upstream;
let gateway: GatewayFixture;
let token: string;
/** Set by the chat stub when the upstream side of a streamed answer is closed. */
let streamClosed: Promise<void>;

beforeAll(async () => {
  const projectApp = express();
  // Answers only once BURST requests wait at once: each of them holds a connection of its own.
  let waiting: Array<() => void> = [];
  projectApp.get('/v1/tenant', (_req, res) => {
    waiting.push(() => res.json({ tenantId: 'acme' }));
    if (waiting.length < BURST) return;
    const release = waiting;
    waiting = [];
    for (const answer of release) answer();
  });
  projectApp.use(stubService('project', []));
  project = await countingUpstream(projectApp);
  const chatApp = stubService('chat', []);
  chatApp.post('/v1/chats/:chatId/messages', (_req, res) => {
    streamClosed = new Promise((resolve) => res.on('close', resolve));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Never ends by itself: only the client's abort can close it.
    res.write('event: token\ndata: {"text":"Hello"}\n\n');
  });
  chat = await countingUpstream(chatApp);
  gateway = await startGateway({ PROJECT_URL: project.url, CHAT_URL: chat.url });
  token = await devToken(gateway.url);
});

afterAll(async () => {
  await gateway.close();
  await project.close();
  await chat.close();
});

describe('upstream connections', () => {
  it('reuses one kept-alive connection for requests one after another', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${gateway.url}/v1/projects`, { headers: bearer(token) });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(project.connections()).toBe(1);
  });

  it('opens a connection per concurrent request, and reuses them afterwards', async () => {
    const before = project.connections();
    const burst = () =>
      Promise.all(
        Array.from({ length: BURST }, async () => {
          const res = await fetch(`${gateway.url}/v1/tenant`, { headers: bearer(token) });
          await res.arrayBuffer();
          return res.status;
        }),
      );
    expect(await burst()).toEqual(Array(BURST).fill(200));
    // The one left from the test before is reused too.
    expect(project.connections()).toBe(Math.max(before, BURST));
    expect(await burst()).toEqual(Array(BURST).fill(200));
    expect(project.connections()).toBe(Math.max(before, BURST));
  });

  it('closes the upstream side of a streamed answer the client walks away from', async () => {
    const aborter = new AbortController();
    const res = await fetch(`${gateway.url}/v1/chats/c1/messages`, {
      method: 'POST',
      headers: bearer(token, { 'content-type': 'application/json', accept: 'text/event-stream' }),
      body: JSON.stringify({ question: 'hi?' }),
      signal: aborter.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('event: token');
    aborter.abort();
    await streamClosed;
    // The connection the stream held is gone, not handed to the next request half-read.
    const next = await fetch(`${gateway.url}/v1/chats/c1`, { headers: bearer(token) });
    expect(next.status).toBe(200);
  });
});

import { randomUUID } from 'node:crypto';
import {
  authEnv,
  createAuthenticator,
  DEFAULT_TIERS,
  loadConfig,
  serviceSchema,
} from '@jitkb/shared';
import { openTestIssuer } from '@jitkb/shared/testing';
import {
  bearer,
  devToken,
  listen,
  startGateway,
  stubService,
  type GatewayFixture,
  type Listening,
  type SeenRequest,
} from './harness';

const projectSeen: SeenRequest[] = [];
const chatSeen: SeenRequest[] = [];
let project: Listening;
let chat: Listening;
let gateway: GatewayFixture;
let token: string;
/** Lets the chat stub finish a streamed answer once the test has seen its first event. */
let releaseStream: () => void = () => undefined;

beforeAll(async () => {
  project = await listen(stubService('project', projectSeen));
  const chatApp = stubService('chat', chatSeen);
  chatApp.post('/v1/chats/:chatId/messages', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: token\ndata: {"text":"Hello"}\n\n');
    const released = new Promise<void>((resolve) => {
      releaseStream = resolve;
    });
    void released.then(() => {
      res.end('event: sources\ndata: {"id":"m1","sources":[],"sessionId":"s1"}\n\n');
    });
  });
  chat = await listen(chatApp);
  gateway = await startGateway({ PROJECT_URL: project.url, CHAT_URL: chat.url });
  token = await devToken(gateway.url);
});

afterAll(async () => {
  releaseStream();
  await gateway.close();
  await project.close();
  await chat.close();
});

beforeEach(() => {
  projectSeen.length = 0;
  chatSeen.length = 0;
});

const json = { 'content-type': 'application/json' };

describe('proxying', () => {
  it('forwards the bearer token and the correlation id to the project service', async () => {
    const res = await fetch(`${gateway.url}/v1/projects`, {
      headers: bearer(token, { 'x-correlation-id': 'corr-123' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service: 'project', path: '/v1/projects' });
    expect(res.headers.get('x-correlation-id')).toBe('corr-123');
    expect(projectSeen).toHaveLength(1);
    expect(projectSeen[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(projectSeen[0]!.headers['x-correlation-id']).toBe('corr-123');
    expect(projectSeen[0]!.headers['x-forwarded-for']).toBeDefined();
  });

  it('gives a request without a correlation id a new one, upstream and back', async () => {
    const res = await fetch(`${gateway.url}/v1/tenant`, { headers: bearer(token) });
    const id = res.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(projectSeen[0]!.headers['x-correlation-id']).toBe(id);
  });

  it('routes chats to the chat service and the rest of /v1 to the project service', async () => {
    const send = (method: string, path: string, body?: unknown) =>
      fetch(`${gateway.url}${path}`, {
        method,
        headers: bearer(token, json),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    expect((await send('POST', '/v1/projects/p1/chats', { fileIds: ['f1'] })).status).toBe(201);
    expect((await send('POST', '/v1/projects/p1/chats')).status).toBe(201);
    expect((await send('GET', '/v1/chats/c1')).status).toBe(200);
    expect((await send('GET', '/v1/chats/c1/messages')).status).toBe(200);
    expect(
      (
        await send('POST', '/v1/projects/p1/files', {
          name: 'a.txt',
          contentType: 'text/plain',
          size: 3,
        })
      ).status,
    ).toBe(201);
    expect((await send('DELETE', '/v1/projects/p1/files/f1')).status).toBe(200);
    expect((await send('GET', '/v1/tenant')).status).toBe(200);
    expect(chatSeen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/projects/p1/chats',
      'POST /v1/projects/p1/chats',
      'GET /v1/chats/c1',
      'GET /v1/chats/c1/messages',
    ]);
    expect(projectSeen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/projects/p1/files',
      'DELETE /v1/projects/p1/files/f1',
      'GET /v1/tenant',
    ]);
    expect(chatSeen[0]!.body).toEqual({ fileIds: ['f1'] });
    expect(projectSeen[0]!.body).toEqual({ name: 'a.txt', contentType: 'text/plain', size: 3 });
  });

  it('passes an event stream through as it is written, not once it ends', async () => {
    const res = await fetch(`${gateway.url}/v1/chats/c1/messages`, {
      method: 'POST',
      headers: bearer(token, { ...json, accept: 'text/event-stream' }),
      body: JSON.stringify({ question: 'hi?' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    // The stub has not finished the answer yet: this chunk crossed the gateway on its own.
    expect(decoder.decode(first.value)).toBe('event: token\ndata: {"text":"Hello"}\n\n');
    releaseStream();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += decoder.decode(chunk.value);
    }
    expect(rest).toContain('event: sources');
  });
});

describe('validation before proxying', () => {
  it('refuses unknown fields and wrong types with 400 problem+json, proxying nothing', async () => {
    const cases: Array<[string, unknown]> = [
      ['/v1/projects', { name: 'x', tenantId: 'evil' }],
      ['/v1/projects', { name: 42 }],
      ['/v1/chats/c1/messages', { question: 'q', extra: true }],
      ['/v1/chats/c1/messages', {}],
      ['/v1/projects/p1/chats', { fileIds: 'f1' }],
      ['/v1/projects/p1/files/f1/complete', { status: 'uploaded' }],
    ];
    for (const [path, body] of cases) {
      const res = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: bearer(token, json),
        body: JSON.stringify(body),
      });
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect(projectSeen).toHaveLength(0);
    expect(chatSeen).toHaveLength(0);
  });

  it('refuses a malformed id in the path', async () => {
    const res = await fetch(`${gateway.url}/v1/chats/${encodeURIComponent('a b')}`, {
      headers: bearer(token),
    });
    expect(res.status).toBe(400);
    expect(chatSeen).toHaveLength(0);
  });

  it('refuses a body that is not JSON with 415', async () => {
    const res = await fetch(`${gateway.url}/v1/projects`, {
      method: 'POST',
      headers: bearer(token, { 'content-type': 'text/plain' }),
      body: 'name=x',
    });
    expect(res.status).toBe(415);
  });
});

describe('authentication', () => {
  it('answers 401 problem+json with WWW-Authenticate to a request without a token', async () => {
    const res = await fetch(`${gateway.url}/v1/projects`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(projectSeen).toHaveLength(0);
  });

  it('refuses malformed tokens and tokens signed by another key', async () => {
    const impostor = await openTestIssuer();
    const forged = await impostor.token('acme', { userId: 'u1' });
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ 'custom:tenantId': 'globex', sub: 'u1' })).toString('base64url')}.${signature}`;
    for (const bad of ['garbage', forged, tampered]) {
      const res = await fetch(`${gateway.url}/v1/projects`, { headers: bearer(bad) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    }
    expect(projectSeen).toHaveLength(0);
  });

  it('serves the OpenAPI document without a token', async () => {
    const res = await fetch(`${gateway.url}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/chats/{chatId}/messages');
  });
});

describe('dev issuer', () => {
  it('publishes discovery and keys that another service verifies its tokens with', async () => {
    const discovery = (await (
      await fetch(`${gateway.url}/dev/oidc/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string };
    expect(discovery.issuer).toBe('http://localhost:8080/dev/oidc');
    expect(discovery.jwks_uri).toBe('http://localhost:8080/dev/oidc/jwks');
    const jwks = (await (await fetch(`${gateway.url}/dev/oidc/jwks`)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    // What the project or chat service does in embedded mode: fetch the JWKS from GATEWAY_URL.
    const service = loadConfig(serviceSchema(authEnv), { GATEWAY_URL: gateway.url });
    const authenticator = createAuthenticator(service, { tiers: DEFAULT_TIERS, tenants: {} });
    const premium = await devToken(gateway.url, {
      tenantId: 'acme',
      userId: 'u1',
      email: 'u1@acme.test',
      tier: 'premium',
    });
    await expect(authenticator.authenticate(premium)).resolves.toEqual({
      tenantId: 'acme',
      userId: 'u1',
      email: 'u1@acme.test',
      tier: 'premium',
    });
  });

  it('issues tokens only for well-formed, known identities', async () => {
    const bodies = [
      { tenantId: 'acme', userId: 'u1', admin: true },
      { tenantId: 'a/b', userId: 'u1' },
      { tenantId: 'acme' },
      { tenantId: 'acme', userId: 'u1', tier: 'platinum' },
      { tenantId: 'acme', userId: 'u1', email: 'not-an-email' },
    ];
    for (const body of bodies) {
      const res = await fetch(`${gateway.url}/dev/token`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(body),
      });
      expect([body, res.status]).toEqual([body, 400]);
    }
  });

  it('keeps accepting its tokens after a restart on the same data directory', async () => {
    const again = await startGateway({
      JITKB_DATA_DIR: gateway.dataDir,
      PROJECT_URL: project.url,
      CHAT_URL: chat.url,
    });
    try {
      const res = await fetch(`${again.url}/v1/projects`, { headers: bearer(token) });
      expect(res.status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('mounts the embedded upload route', async () => {
    const res = await fetch(`${gateway.url}/uploads/${randomUUID()}`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).not.toBe(404);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });
});

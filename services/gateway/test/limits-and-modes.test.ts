import { freePort, UNPROVISIONED_AWS_ENV } from '@jitkb/shared/testing';
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

const seen: SeenRequest[] = [];
let upstream: Listening;

beforeAll(async () => {
  upstream = await listen(stubService('both', seen));
});
afterAll(async () => {
  await upstream.close();
});

function ask(gatewayUrl: string, token: string, chatId = 'c1') {
  return fetch(`${gatewayUrl}/v1/chats/${chatId}/messages`, {
    method: 'POST',
    headers: bearer(token, { 'content-type': 'application/json' }),
    body: JSON.stringify({ question: 'why?' }),
  });
}

describe('per-tier query limit', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({ PROJECT_URL: upstream.url, CHAT_URL: upstream.url });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it("allows the tier's questions per minute with RateLimit headers, then answers 429", async () => {
    seen.length = 0;
    const token = await devToken(gateway.url, { tenantId: 'limited', userId: 'u1' });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await ask(gateway.url, token);
      expect(res.status).toBe(201);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(res.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = await ask(gateway.url, token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('ratelimit-reset'))).toBe(retryAfter);
    const body = (await refused.json()) as { status: number; type: string };
    expect(body.status).toBe(429);
    expect(body.type).toMatch(/\/rate-limited$/);
    expect(seen).toHaveLength(3);
  });

  it('counts per tenant, across chats, and only questions', async () => {
    const token = await devToken(gateway.url, { tenantId: 'busy', userId: 'u1' });
    for (const chatId of ['c1', 'c2', 'c3'])
      expect((await ask(gateway.url, token, chatId)).status).toBe(201);
    expect((await ask(gateway.url, token, 'c4')).status).toBe(429);
    const other = await devToken(gateway.url, { tenantId: 'quiet', userId: 'u2' });
    expect((await ask(gateway.url, other)).status).toBe(201);
    const list = await fetch(`${gateway.url}/v1/chats/c1/messages`, { headers: bearer(token) });
    expect(list.status).toBe(200);
    expect(list.headers.get('ratelimit-limit')).toBeNull();
  });

  it("applies the tenant's own tier", async () => {
    const token = await devToken(gateway.url, { tenantId: 'big', userId: 'u1', tier: 'premium' });
    const statuses = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await ask(gateway.url, token)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it('does not count a question refused as malformed', async () => {
    const token = await devToken(gateway.url, { tenantId: 'sloppy', userId: 'u1' });
    for (let i = 0; i < 4; i += 1) {
      const res = await fetch(`${gateway.url}/v1/chats/c1/messages`, {
        method: 'POST',
        headers: bearer(token, { 'content-type': 'application/json' }),
        body: JSON.stringify({ question: '' }),
      });
      expect(res.status).toBe(400);
    }
    expect((await ask(gateway.url, token)).headers.get('ratelimit-remaining')).toBe('2');
  });
});

describe('an upstream that is down', () => {
  it('answers 503 problem+json with the correlation id', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const gateway = await startGateway({ PROJECT_URL: closed, CHAT_URL: upstream.url });
    try {
      const token = await devToken(gateway.url);
      const res = await fetch(`${gateway.url}/v1/projects`, {
        headers: bearer(token, { 'x-correlation-id': 'down-1' }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({
        status: 503,
        detail: 'the project service is unavailable',
        correlationId: 'down-1',
      });
      expect((await ask(gateway.url, token)).status).toBe(201);
    } finally {
      await gateway.close();
    }
  });
});

describe('aws mode', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({
      ...UNPROVISIONED_AWS_ENV,
      OIDC_ISSUER: 'https://issuer.example.test',
      PROJECT_URL: upstream.url,
      CHAT_URL: upstream.url,
    });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('has no dev issuer and no embedded upload route', async () => {
    const requests: Array<[string, RequestInit]> = [
      [
        '/dev/token',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"tenantId":"a","userId":"u"}',
        },
      ],
      ['/dev/oidc/jwks', {}],
      ['/dev/oidc/.well-known/openid-configuration', {}],
      ['/uploads/anything', { method: 'PUT', body: 'x' }],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${gateway.url}${path}`, init);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });

  it('still serves the OpenAPI document and guards /v1', async () => {
    expect((await fetch(`${gateway.url}/v1/openapi.json`)).status).toBe(200);
    expect((await fetch(`${gateway.url}/v1/projects`)).status).toBe(401);
  });
});

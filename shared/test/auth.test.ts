import express from 'express';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import request from 'supertest';
import {
  authEnv,
  ConfigError,
  createLogger,
  createServiceAuth,
  DEFAULT_TIERS,
  loadConfig,
  problemHandler,
  resolveAuthSettings,
  serviceSchema,
  tierEnv,
  type AuthenticatorOptions,
  type TenantContext,
  type TierConfig,
} from '@jitkb/shared';
import {
  startTestOidcProvider,
  UNPROVISIONED_AWS_ENV,
  type TestOidcProvider,
} from '@jitkb/shared/testing';

const schema = serviceSchema({ ...authEnv, ...tierEnv });
const tiers: TierConfig = { tiers: DEFAULT_TIERS, tenants: { 'acme-gold': 'premium' } };
const KID = 'key-1';

let provider: TestOidcProvider;
let issuer: string;

beforeAll(async () => {
  provider = await startTestOidcProvider({ algorithm: 'RS256', kid: KID });
  issuer = provider.issuer;
});

afterAll(async () => {
  await provider.close();
});

function config(env: Record<string, string> = {}) {
  return loadConfig(schema, { JITKB_MODE: 'embedded', OIDC_ISSUER: issuer, ...env });
}

function app(env: Record<string, string> = {}, options: AuthenticatorOptions = {}) {
  const log = createLogger({ service: 'test', level: 'silent' });
  const a = express();
  a.use(express.json());
  a.use('/v1', createServiceAuth(config(env), tiers, options));
  a.all('/v1/whoami', (req, res) => {
    res.json(req.tenant);
  });
  a.use(problemHandler(log));
  return a;
}

const claims = { 'custom:tenantId': 'acme', sub: 'user-1', email: 'u@acme.test' };

async function token(
  payload: JWTPayload = claims,
  edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt,
  key: KeyLike | Uint8Array = provider.privateKey,
  header: { alg: string; kid?: string } = { alg: 'RS256', kid: KID },
): Promise<string> {
  return provider.sign(payload, { edit, key, header });
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function expectRejected(
  bearer: string,
  detail = 'the token is not valid',
  appUnderTest = app(),
) {
  const res = await request(appUnderTest).get('/v1/whoami').set('Authorization', bearer);
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(res.body).toMatchObject({ status: 401, title: 'Unauthorized', detail });
  return res;
}

describe('requireAuth', () => {
  it('accepts a valid token found through discovery and maps its claims', async () => {
    const res = await request(app())
      .get('/v1/whoami')
      .set('Authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tenantId: 'acme',
      userId: 'user-1',
      email: 'u@acme.test',
      tier: 'free',
    });
  });

  it('accepts a token verified against a configured JWKS URL', async () => {
    const res = await request(app({ OIDC_JWKS_URL: provider.jwksUrl }))
      .get('/v1/whoami')
      .set('Authorization', `bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect((res.body as TenantContext).tenantId).toBe('acme');
  });

  it('takes the tier from the tenants config before the token claim', async () => {
    const configured = await token({
      ...claims,
      'custom:tenantId': 'acme-gold',
      'custom:tier': 'free',
    });
    const claimed = await token({ ...claims, 'custom:tier': 'standard' });
    const unknown = await token({ ...claims, 'custom:tier': 'platinum' });
    const a = app();
    const tierOf = async (t: string) =>
      (
        (await request(a).get('/v1/whoami').set('Authorization', `Bearer ${t}`))
          .body as TenantContext
      ).tier;
    expect(await tierOf(configured)).toBe('premium');
    expect(await tierOf(claimed)).toBe('standard');
    expect(await tierOf(unknown)).toBe('free');
  });

  it('reads the claims named in the configuration', async () => {
    const t = await token({ org: 'globex', uid: 'u-9', 'custom:tenantId': 'acme', sub: 'x' });
    const res = await request(app({ OIDC_CLAIM_TENANT_ID: 'org', OIDC_CLAIM_USER_ID: 'uid' }))
      .get('/v1/whoami')
      .set('Authorization', `Bearer ${t}`);
    expect(res.body).toMatchObject({ tenantId: 'globex', userId: 'u-9' });
  });

  it('never takes the tenant from a header or the body', async () => {
    const res = await request(app())
      .post('/v1/whoami')
      .set('Authorization', `Bearer ${await token()}`)
      .set('x-tenant-id', 'evil')
      .send({ tenantId: 'evil' });
    expect((res.body as TenantContext).tenantId).toBe('acme');
  });

  it('rejects a request without a token, or with another scheme', async () => {
    const res = await request(app()).get('/v1/whoami');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="jitkb"');
    const required = 'a bearer token is required';
    await expectRejected(`Basic ${Buffer.from('a:b').toString('base64')}`, required);
    await expectRejected('Bearer', required);
  });

  it('rejects an unsigned token (alg none)', async () => {
    const payload = {
      ...claims,
      iss: issuer,
      aud: 'jitkb',
      exp: Math.floor(Date.now() / 1000) + 60,
    };
    await expectRejected(`Bearer ${b64({ alg: 'none' })}.${b64(payload)}.`);
  });

  it('rejects an HS256 token signed with the public key', async () => {
    const secret = new TextEncoder().encode(await exportSPKI(provider.publicKey));
    const t = await token(claims, (jwt) => jwt, secret, { alg: 'HS256', kid: KID });
    await expectRejected(`Bearer ${t}`);
  });

  it('rejects an expired token and says so', async () => {
    const t = await token(claims, (jwt) =>
      jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime('-1h'),
    );
    const res = await expectRejected(`Bearer ${t}`, 'the token has expired');
    expect((res.body as { detail: string }).detail).toBe('the token has expired');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('rejects a token that is not valid yet', async () => {
    await expectRejected(`Bearer ${await token(claims, (jwt) => jwt.setNotBefore('10m'))}`);
  });

  it('rejects a token without an expiry', async () => {
    const t = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: KID })
      .setIssuer(issuer)
      .setAudience('jitkb')
      .sign(provider.privateKey);
    await expectRejected(`Bearer ${t}`);
  });

  it('rejects a token from another issuer', async () => {
    await expectRejected(
      `Bearer ${await token(claims, (jwt) => jwt.setIssuer('https://evil.test'))}`,
    );
  });

  it('rejects a token for another audience', async () => {
    await expectRejected(`Bearer ${await token(claims, (jwt) => jwt.setAudience('other-app'))}`);
  });

  it('rejects a token whose key id the issuer does not publish', async () => {
    await expectRejected(
      `Bearer ${await token(claims, (jwt) => jwt, provider.privateKey, { alg: 'RS256', kid: 'nope' })}`,
    );
  });

  it('rejects a token signed by a foreign key under a known key id', async () => {
    const foreign = await generateKeyPair('RS256');
    await expectRejected(`Bearer ${await token(claims, (jwt) => jwt, foreign.privateKey)}`);
  });

  it('rejects a token whose tenant claim was changed after signing', async () => {
    const [header, payload, signature] = (await token()).split('.');
    const claimsSeen = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as JWTPayload;
    const tampered = b64({ ...claimsSeen, 'custom:tenantId': 'globex' });
    await expectRejected(`Bearer ${header}.${tampered}.${signature}`);
  });

  it('rejects a token whose tenant is missing or malformed', async () => {
    const noTenant = 'the token carries no valid tenant';
    await expectRejected(`Bearer ${await token({ sub: 'user-1' })}`, noTenant);
    await expectRejected(
      `Bearer ${await token({ ...claims, 'custom:tenantId': 'a#b' })}`,
      noTenant,
    );
    await expectRejected(`Bearer ${await token({ ...claims, 'custom:tenantId': 42 })}`, noTenant);
  });

  it('rejects an algorithm outside the configured allow-list', async () => {
    await expectRejected(
      `Bearer ${await token()}`,
      'the token is not valid',
      app({ OIDC_ALGORITHMS: 'ES256' }),
    );
  });

  it('answers 503, not 401, when the issuer cannot be reached', async () => {
    const res = await request(
      app({ OIDC_ISSUER: 'http://127.0.0.1:9/nobody' }, { fetchTimeoutMs: 500 }),
    )
      .get('/v1/whoami')
      .set('Authorization', `Bearer ${await token()}`);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('authEnv', () => {
  it('refuses none and HMAC algorithms', () => {
    expect(() => config({ OIDC_ALGORITHMS: 'RS256,none' })).toThrow(/OIDC_ALGORITHMS/);
    expect(() => config({ OIDC_ALGORITHMS: 'HS256' })).toThrow(/OIDC_ALGORITHMS/);
  });

  it('defaults to the gateway dev issuer in embedded mode', () => {
    const embedded = loadConfig(schema, { JITKB_PUBLIC_URL: 'https://kb.example.test/' });
    const settings = resolveAuthSettings(embedded);
    expect(settings.issuer).toBe('https://kb.example.test/dev/oidc');
    expect(settings.jwksUrl?.href).toBe('http://127.0.0.1:8080/dev/oidc/jwks');
    expect(settings.devIssuer).toBe(true);
    expect(embedded.OIDC_AUDIENCE).toBe('jitkb');
    expect(embedded.OIDC_ALGORITHMS).toEqual(['RS256', 'ES256']);
    expect(embedded.GATEWAY_URL).toBe('http://127.0.0.1:8080');
  });

  it('requires an issuer in aws mode', () => {
    const aws = loadConfig(schema, UNPROVISIONED_AWS_ENV);
    expect(() => createServiceAuth(aws, tiers)).toThrow(ConfigError);
    expect(() => createServiceAuth(aws, tiers)).toThrow(/OIDC_ISSUER/);
  });
});

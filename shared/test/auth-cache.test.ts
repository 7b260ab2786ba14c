import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import {
  AppError,
  authEnv,
  createAuthenticator,
  createVerifiedTokenCache,
  DEFAULT_TIERS,
  loadConfig,
  serviceSchema,
  tierEnv,
  type AuthenticatorOptions,
  type TenantContext,
} from '@jitkb/shared';

const ISSUER = 'https://issuer.example';
const KID = 'k1';
const T0 = Date.UTC(2030, 0, 1);
const schema = serviceSchema({ ...authEnv, ...tierEnv });
const config = loadConfig(schema, {
  JITKB_MODE: 'embedded',
  OIDC_ISSUER: ISSUER,
  OIDC_ALGORITHMS: 'ES256',
});
const tiers = { tiers: DEFAULT_TIERS, tenants: {} };

let privateKey: KeyLike;
let otherKey: KeyLike;
let jwks: JWTVerifyGetKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('ES256')).privateKey;
  jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES256' }],
  });
});

/** An authenticator on a clock the test moves, counting how often it looks up a key. */
function harness(options: AuthenticatorOptions = {}) {
  const clock = { now: T0, keyLookups: 0, keysWithdrawn: false };
  const keys: JWTVerifyGetKey = (header, token) => {
    clock.keyLookups++;
    if (clock.keysWithdrawn) return createLocalJWKSet({ keys: [] })(header, token);
    return jwks(header, token);
  };
  const authenticator = createAuthenticator(config, tiers, {
    keys,
    now: () => clock.now,
    ...options,
  });
  return { clock, authenticator };
}

function sign(
  claims: JWTPayload = {},
  options: { lifetimeSeconds?: number; key?: KeyLike; audience?: string } = {},
): Promise<string> {
  const iat = Math.floor(T0 / 1000);
  return new SignJWT({ 'custom:tenantId': 'acme', sub: 'user-1', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: KID })
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? 'jitkb')
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? 3600))
    .sign(options.key ?? privateKey);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('verified token cache in the authenticator', () => {
  it('verifies a token once and answers the same tenant for its repeats', async () => {
    const { clock, authenticator } = harness();
    const token = await sign();
    const first = await authenticator.authenticate(token);
    const second = await authenticator.authenticate(token);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ tenantId: 'acme', userId: 'user-1' });
    expect(clock.keyLookups).toBe(1);
  });

  it('rejects a token once its exp has passed, although it was accepted before', async () => {
    const { clock, authenticator } = harness();
    const token = await sign({}, { lifetimeSeconds: 10 });
    await authenticator.authenticate(token);
    clock.now = T0 + 9_000;
    await authenticator.authenticate(token);
    expect(clock.keyLookups).toBe(1);
    clock.now = T0 + 16_000;
    const error = await rejection(authenticator.authenticate(token));
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe('the token has expired');
  });

  it('never serves a cached answer at or after exp, even within the clock tolerance', async () => {
    const { clock, authenticator } = harness({ clockToleranceSeconds: 5 });
    const token = await sign({}, { lifetimeSeconds: 10 });
    await authenticator.authenticate(token);
    clock.now = T0 + 10_000;
    // jose still accepts it (tolerance), but only after a full verification.
    await authenticator.authenticate(token);
    expect(clock.keyLookups).toBe(2);
  });

  it('rejects a tampered payload or signature of a token it has cached', async () => {
    const { authenticator } = harness();
    const token = await sign();
    await authenticator.authenticate(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as JWTPayload;
    const otherTenant = Buffer.from(JSON.stringify({ ...claims, 'custom:tenantId': 'evil' }));
    const tampered = [
      `${header}.${otherTenant.toString('base64url')}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`,
      `${token}x`,
    ];
    for (const bad of tampered) {
      expect((await rejection(authenticator.authenticate(bad))).code).toBe('unauthorized');
    }
    await expect(authenticator.authenticate(token)).resolves.toMatchObject({ tenantId: 'acme' });
  });

  it('keeps rejecting tokens of another key, audience or without a tenant on every try', async () => {
    const { clock, authenticator } = harness();
    const bad = [
      await sign({}, { key: otherKey }),
      await sign({}, { audience: 'someone-else' }),
      await sign({ 'custom:tenantId': undefined }),
    ];
    for (let round = 0; round < 2; round++) {
      for (const token of bad) {
        expect((await rejection(authenticator.authenticate(token))).code).toBe('unauthorized');
      }
    }
    expect(clock.keyLookups).toBe(6);
  });

  it('verifies again after the max age, so a withdrawn key stops its tokens', async () => {
    const { clock, authenticator } = harness({ tokenCache: { maxAgeMs: 30_000 } });
    const token = await sign();
    await authenticator.authenticate(token);
    clock.keysWithdrawn = true;
    clock.now = T0 + 29_000;
    await authenticator.authenticate(token);
    clock.now = T0 + 30_000;
    expect((await rejection(authenticator.authenticate(token))).code).toBe('unauthorized');
  });

  it('holds at most maxEntries tokens', async () => {
    const { clock, authenticator } = harness({ tokenCache: { maxEntries: 1 } });
    const a = await sign({ sub: 'user-a' });
    const b = await sign({ sub: 'user-b' });
    await authenticator.authenticate(a);
    await authenticator.authenticate(b);
    await authenticator.authenticate(a);
    expect(clock.keyLookups).toBe(3);
  });

  it('verifies every request when the cache is turned off', async () => {
    const { clock, authenticator } = harness({ tokenCache: false });
    const token = await sign();
    await authenticator.authenticate(token);
    await authenticator.authenticate(token);
    expect(clock.keyLookups).toBe(2);
  });
});

describe('createVerifiedTokenCache', () => {
  const tenant: TenantContext = { tenantId: 'acme', userId: 'u', email: undefined, tier: 'free' };

  it('does not keep a token whose exp is already past', () => {
    const cache = createVerifiedTokenCache({ now: () => T0 });
    cache.set('t', tenant, T0 / 1000);
    expect(cache.get('t')).toBeUndefined();
  });

  it('hands out a frozen copy, so a caller cannot change what the next request sees', () => {
    const cache = createVerifiedTokenCache({ now: () => T0 });
    cache.set('t', tenant, T0 / 1000 + 60);
    const got = cache.get('t');
    expect(got).toEqual(tenant);
    expect(Object.isFrozen(got)).toBe(true);
  });
});

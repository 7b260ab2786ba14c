import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet } from 'jose';
import {
  authEnv,
  createAuthenticator,
  DEFAULT_TIERS,
  DevIssuer,
  loadConfig,
  resolveAuthSettings,
  serviceSchema,
} from '@jitkb/shared';

const config = loadConfig(serviceSchema(authEnv), { JITKB_MODE: 'embedded' });
const settings = resolveAuthSettings(config);
const tiers = { tiers: DEFAULT_TIERS, tenants: {} };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'jitkb-dev-issuer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function open(keyFile = path.join(dir, 'dev-oidc-key.json')) {
  return DevIssuer.open({
    issuer: settings.issuer,
    audience: settings.audience,
    claims: settings.claims,
    keyFile,
  });
}

describe('DevIssuer', () => {
  it('issues tokens that the shared authenticator accepts', async () => {
    const issuer = await open();
    const token = await issuer.issue({ tenantId: 'acme', userId: 'u1', tier: 'premium' });
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const auth = createAuthenticator(config, tiers, { keys: issuer.keys() });
    await expect(auth.authenticate(token.access_token)).resolves.toEqual({
      tenantId: 'acme',
      userId: 'u1',
      email: undefined,
      tier: 'premium',
    });
  });

  it('keeps its key in the data directory, so tokens survive a restart', async () => {
    const keyFile = path.join(dir, 'dev-oidc-key.json');
    const before = await open(keyFile);
    const token = await before.issue({ tenantId: 'acme', userId: 'u1' });
    const after = await open(keyFile);
    expect(after.jwks()).toEqual(before.jwks());
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const auth = createAuthenticator(config, tiers, { keys: createLocalJWKSet(after.jwks()) });
    await expect(auth.authenticate(token.access_token)).resolves.toMatchObject({
      tenantId: 'acme',
    });
  });

  it('publishes only the public part of its key', async () => {
    const issuer = await open();
    const [key] = issuer.jwks().keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
    expect(key?.kid).toEqual(expect.any(String));
  });

  it('is not trusted by a service that has another key', async () => {
    const issuer = await open();
    const other = await open(path.join(dir, 'other-key.json'));
    const token = await issuer.issue({ tenantId: 'acme', userId: 'u1' });
    const auth = createAuthenticator(config, tiers, { keys: other.keys() });
    await expect(auth.authenticate(token.access_token)).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });
});

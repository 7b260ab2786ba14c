import { loadConfig, loadTierConfig } from '@jitkb/shared';
import { UNPROVISIONED_AWS_ENV } from '@jitkb/shared/testing';
import { configSchema } from '../src/config';
import { createUiConfig } from '../src/ui-config';
import { startGateway, TEST_TIERS, type GatewayFixture } from './harness';

const AWS_ENV = {
  ...UNPROVISIONED_AWS_ENV,
  OIDC_ISSUER: 'https://issuer.example.test',
  TIERS: JSON.stringify(TEST_TIERS),
};

describe('the web UI routes (embedded mode)', () => {
  let gateway: GatewayFixture;
  beforeAll(async () => {
    gateway = await startGateway({});
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('serves the page at / without a token, with a content security policy', async () => {
    const res = await fetch(`${gateway.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toContain('<script type="module" src="/app.js"></script>');
    expect((await fetch(`${gateway.url}/style.css`)).status).toBe(200);
  });

  it('offers the dev sign-in with the configured tiers, and the supported file types', async () => {
    const res = await fetch(`${gateway.url}/ui-config.json`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ReturnType<typeof createUiConfig>;
    expect(body.signIn).toEqual({ kind: 'dev', tiers: ['free', 'premium'] });
    expect(body.supportedTypes.flatMap((t) => t.extensions)).toEqual(
      expect.arrayContaining(['.txt', '.md', '.csv', '.html', '.pdf', '.docx']),
    );
  });

  it('still requires a token under /v1', async () => {
    expect((await fetch(`${gateway.url}/v1/projects`)).status).toBe(401);
  });
});

describe('createUiConfig with an OIDC provider', () => {
  const tiers = loadTierConfig({ TIERS: AWS_ENV.TIERS });

  it('describes a PKCE public client when the UI has a client id', () => {
    const config = loadConfig(configSchema, { ...AWS_ENV, UI_OIDC_CLIENT_ID: 'web-ui' });
    expect(createUiConfig(config, tiers, false).signIn).toEqual({
      kind: 'oidc',
      issuer: 'https://issuer.example.test',
      clientId: 'web-ui',
      scopes: 'openid email profile',
      token: 'id_token',
    });
  });

  it('says sign-in is not configured without a client id', () => {
    const config = loadConfig(configSchema, AWS_ENV);
    expect(createUiConfig(config, tiers, false).signIn).toEqual({ kind: 'none' });
  });
});

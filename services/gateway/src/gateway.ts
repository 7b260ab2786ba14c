import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  createServiceAuth,
  createTierRateLimiters,
  DevIssuer,
  loadTierConfig,
  resolveAuthSettings,
  type Adapters,
  type AuthenticatorOptions,
  type Logger,
  type ServiceMetrics,
} from '@jitkb/shared';
import type { Express } from 'express';
import { createApp } from './app';
import type { Config } from './config';
import { createUiConfig } from './ui-config';

export interface GatewayDeps {
  adapters: Pick<Adapters, 'rateLimiters' | 'localObjects'>;
  log: Logger;
  metrics: ServiceMetrics;
}

/** The dev issuer, in embedded mode when the services trust it (OIDC_ISSUER left to its default). */
async function openDevIssuer(config: Config): Promise<DevIssuer | undefined> {
  const settings = resolveAuthSettings(config);
  if (config.JITKB_MODE !== 'embedded' || !settings.devIssuer) return undefined;
  const dataDir = path.resolve(config.JITKB_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  return DevIssuer.open({
    issuer: settings.issuer,
    audience: settings.audience,
    claims: settings.claims,
    keyFile: path.join(dataDir, 'dev-oidc-key.json'),
  });
}

/** Builds the gateway's app from its configuration and adapters (used by main and by tests). */
export async function createGateway(config: Config, deps: GatewayDeps): Promise<Express> {
  const tiers = loadTierConfig(config);
  const devIssuer = await openDevIssuer(config);
  // The gateway holds the dev issuer's key: it verifies with it directly instead of fetching its
  // own JWKS over HTTP. Everything else about verification is the same as in other services.
  const authOptions: AuthenticatorOptions =
    devIssuer && !config.OIDC_JWKS_URL ? { keys: devIssuer.keys() } : {};
  return createApp({
    log: deps.log,
    metrics: deps.metrics,
    version: config.JITKB_VERSION,
    authenticate: createServiceAuth(config, tiers, authOptions),
    tiers,
    queryLimits: createTierRateLimiters(deps.adapters.rateLimiters, tiers, 'queries'),
    upstreams: { project: config.PROJECT_URL, chat: config.CHAT_URL },
    upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_SECONDS * 1000,
    devIssuer,
    uploadRouter: deps.adapters.localObjects?.uploadRouter(),
    // The same directory from src/ (tsx) and dist/ (node).
    ui: {
      publicDir: path.resolve(__dirname, '../public'),
      config: createUiConfig(config, tiers, devIssuer !== undefined),
    },
  });
}

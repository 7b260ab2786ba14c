import type { Server } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { authEnv, resolveAuthSettings, type Algorithm, type AuthConfig } from '../auth/auth-config';
import { createAuthenticator, type Authenticator } from '../auth/authenticator';
import { DevIssuer, type DevTokenRequest } from '../auth/dev-issuer';
import { serviceSchema } from '../config/base';
import { loadConfig } from '../config/load-config';
import type { TierConfig } from '../tiers';
import { DEFAULT_TEST_TIERS } from './testbed';

/** A dev issuer whose tokens a service of `config` accepts, without an HTTP round trip. */
export interface TestIssuer {
  issuer: DevIssuer;
  /** An authenticator of the service that trusts this issuer's key. */
  authenticator(tiers?: TierConfig): Authenticator;
  /** A bearer token for the tenant; its user is `user-${tenantId}` unless `claims` names one. */
  token(tenantId: string, claims?: Partial<Omit<DevTokenRequest, 'tenantId'>>): Promise<string>;
}

export interface TestIssuerOptions {
  /** Keeps the key in this file, as the gateway does in its data directory; in memory otherwise. */
  keyFile?: string;
}

/** The sign-in settings of a service left at its defaults, in embedded mode. */
export function defaultAuthConfig(): AuthConfig {
  return loadConfig(serviceSchema(authEnv), { JITKB_MODE: 'embedded' });
}

/**
 * Opens a dev issuer with the issuer, audience and claim names that `config` expects, on a key of
 * its own: a different one at every call, so that two test issuers do not trust each other.
 */
export async function openTestIssuer(
  config: AuthConfig = defaultAuthConfig(),
  options: TestIssuerOptions = {},
): Promise<TestIssuer> {
  const settings = resolveAuthSettings(config);
  const issuer = await DevIssuer.open({
    issuer: settings.issuer,
    audience: settings.audience,
    claims: settings.claims,
    ...(options.keyFile ? { keyFile: options.keyFile } : {}),
  });
  return {
    issuer,
    authenticator: (tiers = DEFAULT_TEST_TIERS) =>
      createAuthenticator(config, tiers, { keys: issuer.keys() }),
    async token(tenantId, claims = {}) {
      const request = { tenantId, userId: `user-${tenantId}`, ...claims };
      return (await issuer.issue(request)).access_token;
    },
  };
}

export interface TestOidcProviderOptions {
  /** Signature algorithm of the provider's key (default RS256, as Cognito signs). */
  algorithm?: Algorithm;
  kid?: string;
  audience?: string;
}

export interface SignOptions {
  /** Changes the token before it is signed (claims, lifetime, issuer). */
  edit?: (jwt: SignJWT) => SignJWT;
  /** Another key than the provider's. */
  key?: KeyLike | Uint8Array;
  /** Another protected header than the provider's algorithm and key id. */
  header?: { alg: string; kid?: string };
}

/** An OpenID provider on loopback: discovery document, key set, and tokens signed with its key. */
export interface TestOidcProvider {
  /** The `iss` of its tokens; discovery is at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  jwksUrl: string;
  kid: string;
  publicKey: KeyLike;
  privateKey: KeyLike;
  /** A token with the payload, the provider's issuer and audience, valid for five minutes. */
  sign(payload: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

/** Starts an OpenID provider with a fresh key pair, as a production identity provider serves it. */
export async function startTestOidcProvider(
  options: TestOidcProviderOptions = {},
): Promise<TestOidcProvider> {
  const algorithm = options.algorithm ?? 'RS256';
  const kid = options.kid ?? 'test-key';
  const audience = options.audience ?? 'jitkb';
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  let issuer = '';
  const app = express();
  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({ issuer, jwks_uri: `${issuer}/keys` });
  });
  app.get('/keys', (_req, res) => {
    res.json({ keys: [jwk] });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    issuer,
    jwksUrl: `${issuer}/keys`,
    kid,
    publicKey,
    privateKey,
    sign(payload, signOptions = {}) {
      const jwt = new SignJWT(payload)
        .setProtectedHeader(signOptions.header ?? { alg: algorithm, kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m');
      return (signOptions.edit ?? ((unchanged) => unchanged))(jwt).sign(
        signOptions.key ?? privateKey,
      );
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

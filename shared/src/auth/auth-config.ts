import { z } from 'zod';
import { ConfigError, csv, type ModeConfig } from '../config';

/**
 * Signature algorithms a token may use. Only asymmetric ones: `none` would accept anything, and an
 * HMAC algorithm would let anyone holding the public key (published in the JWKS) sign tokens.
 */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

/** Where the gateway serves its embedded dev issuer, below its public URL. */
export const DEV_ISSUER_PATH = '/dev/oidc';

/**
 * Sign-in variables, merged into every service's schema: `serviceSchema({ ...authEnv, ... })`.
 * In embedded mode the issuer defaults to the gateway's dev issuer.
 */
export const authEnv = {
  /** The token issuer (`iss`); required in aws mode. */
  OIDC_ISSUER: z.url().optional(),
  OIDC_AUDIENCE: z.string().min(1).default('jitkb'),
  /** The issuer's key set; when unset, found through the issuer's discovery document. */
  OIDC_JWKS_URL: z.url().optional(),
  /** Allowed signature algorithms, comma-separated. */
  OIDC_ALGORITHMS: csv
    .pipe(z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1))
    .default(['RS256', 'ES256']),
  OIDC_CLAIM_TENANT_ID: z.string().min(1).default('custom:tenantId'),
  OIDC_CLAIM_USER_ID: z.string().min(1).default('sub'),
  OIDC_CLAIM_EMAIL: z.string().min(1).default('email'),
  OIDC_CLAIM_TIER: z.string().min(1).default('custom:tier'),
  /** Embedded mode: where the services fetch the dev issuer's key set from. */
  GATEWAY_URL: z.url().default('http://127.0.0.1:8080'),
};

export type AuthEnv = z.output<z.ZodObject<typeof authEnv>>;

/** A service configuration that carries the sign-in variables. */
export type AuthConfig = ModeConfig & AuthEnv;

export type Algorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** The resolved sign-in settings: what a token must satisfy and where its keys come from. */
export interface AuthSettings {
  issuer: string;
  audience: string;
  algorithms: Algorithm[];
  /** The key set's URL; undefined means "read `jwks_uri` from the issuer's discovery document". */
  jwksUrl: URL | undefined;
  /** Whether the issuer is the gateway's embedded dev issuer. */
  devIssuer: boolean;
  claims: { tenantId: string; userId: string; email: string; tier: string };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The `iss` of the dev issuer's tokens: the gateway's public URL plus DEV_ISSUER_PATH. */
export function devIssuerUrl(publicUrl: string): string {
  return `${trimSlash(publicUrl)}${DEV_ISSUER_PATH}`;
}

/**
 * Resolves defaults that depend on the mode. Throws a ConfigError naming OIDC_ISSUER when aws mode
 * has none, so that `loadConfigOrExit` reports it like any other bad variable.
 */
export function resolveAuthSettings(config: AuthConfig): AuthSettings {
  const claims = {
    tenantId: config.OIDC_CLAIM_TENANT_ID,
    userId: config.OIDC_CLAIM_USER_ID,
    email: config.OIDC_CLAIM_EMAIL,
    tier: config.OIDC_CLAIM_TIER,
  };
  const base = { audience: config.OIDC_AUDIENCE, algorithms: config.OIDC_ALGORITHMS, claims };
  if (config.OIDC_ISSUER) {
    const devIssuer =
      config.JITKB_MODE === 'embedded' &&
      trimSlash(config.OIDC_ISSUER) === devIssuerUrl(config.JITKB_PUBLIC_URL);
    return {
      ...base,
      issuer: config.OIDC_ISSUER,
      jwksUrl: config.OIDC_JWKS_URL
        ? new URL(config.OIDC_JWKS_URL)
        : devIssuer
          ? devJwksUrl(config.GATEWAY_URL)
          : undefined,
      devIssuer,
    };
  }
  if (config.JITKB_MODE === 'aws') {
    throw new ConfigError(
      ['OIDC_ISSUER'],
      'invalid configuration: OIDC_ISSUER: required in aws mode',
    );
  }
  return {
    ...base,
    issuer: devIssuerUrl(config.JITKB_PUBLIC_URL),
    // The public URL may not be reachable from the services themselves; GATEWAY_URL is.
    jwksUrl: config.OIDC_JWKS_URL ? new URL(config.OIDC_JWKS_URL) : devJwksUrl(config.GATEWAY_URL),
    devIssuer: true,
  };
}

function devJwksUrl(gatewayUrl: string): URL {
  return new URL(`${trimSlash(gatewayUrl)}${DEV_ISSUER_PATH}/jwks`);
}

import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors/app-error';
import { resolveTier, type TierConfig } from '../tiers/tiers';
import { resolveAuthSettings, type AuthConfig, type AuthSettings } from './auth-config';
import { tenantIdSchema, userIdSchema } from './identity';
import type { TenantContext } from './tenant-context';
import { createVerifiedTokenCache, type VerifiedTokenCacheOptions } from './verified-tokens';

/** Verifies bearer tokens: the only way any service learns who is calling. */
export interface Authenticator {
  readonly settings: AuthSettings;
  /**
   * Verifies the token (signature, issuer, audience, algorithm, lifetime) and maps its claims to a
   * TenantContext. Throws AppError `unauthorized` for a bad token and `unavailable` when the
   * issuer's keys cannot be fetched.
   */
  authenticate(token: string): Promise<TenantContext>;
}

export interface AuthenticatorOptions {
  /**
   * Where verification keys come from. Default: the issuer's JWKS over HTTP, cached. The gateway
   * passes its dev issuer's own keys; tests may pass a local key set.
   */
  keys?: JWTVerifyGetKey;
  /** Allowed clock skew between issuer and service (default 5 seconds). */
  clockToleranceSeconds?: number;
  /** Timeout of each discovery or JWKS request (default 5000 ms). */
  fetchTimeoutMs?: number;
  /**
   * Verified tokens remembered by their exact string until the earlier of `exp` and a short max
   * age, so that a client's every request does not pay a signature check; `false` turns it off.
   */
  tokenCache?: Omit<VerifiedTokenCacheOptions, 'now'> | false;
  /** The clock in epoch milliseconds, for lifetimes and the cache (default Date.now). */
  now?: () => number;
}

/** jose error codes that mean "this token is not acceptable" rather than "we could not check". */
const REJECTED = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

const discoverySchema = z.object({ issuer: z.string(), jwks_uri: z.url() });

/**
 * Creates the authenticator of a service from its configuration (see `authEnv`). The tenant's tier
 * comes from the tenants config first, then from the token's tier claim.
 */
export function createAuthenticator(
  config: AuthConfig,
  tierConfig: TierConfig,
  options: AuthenticatorOptions = {},
): Authenticator {
  const settings = resolveAuthSettings(config);
  const timeoutMs = options.fetchTimeoutMs ?? 5000;
  const keys = options.keys ?? remoteKeys(settings, timeoutMs);
  const now = options.now ?? Date.now;
  const verifyOptions = {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: settings.algorithms,
    clockTolerance: options.clockToleranceSeconds ?? 5,
    requiredClaims: ['exp'],
  };
  const cache =
    options.tokenCache === false
      ? undefined
      : createVerifiedTokenCache({ ...options.tokenCache, now });
  return {
    settings,
    async authenticate(token) {
      const known = cache?.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          ...verifyOptions,
          currentDate: new Date(now()),
        }));
      } catch (error) {
        throw verificationError(error);
      }
      // Only a token whose claims also map to a tenant is remembered: tenantFromClaims throws first.
      const tenant = tenantFromClaims(payload, settings, tierConfig);
      if (payload.exp !== undefined) cache?.set(token, tenant, payload.exp);
      return tenant;
    },
  };
}

function verificationError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JOSEError && REJECTED.has(error.code)) {
    const detail =
      error instanceof errors.JWTExpired ? 'the token has expired' : 'the token is not valid';
    return new AppError('unauthorized', detail, { cause: error });
  }
  // Timeouts, network errors, a bad key set: the issuer's fault, not the caller's.
  return new AppError('unavailable', 'the token issuer cannot be reached', {
    cause: error,
    retryAfterSeconds: 5,
  });
}

/** The issuer's remote key set, found through discovery when no JWKS URL is configured. */
function remoteKeys(settings: AuthSettings, timeoutMs: number): JWTVerifyGetKey {
  const remote = (url: URL) => createRemoteJWKSet(url, { timeoutDuration: timeoutMs });
  if (settings.jwksUrl) return remote(settings.jwksUrl);
  let pending: Promise<JWTVerifyGetKey> | undefined;
  return async (header, token) => {
    pending ??= discoverJwksUrl(settings.issuer, timeoutMs).then(remote);
    // A failed discovery is retried by the next request instead of being cached.
    const current = pending;
    current.catch(() => {
      if (pending === current) pending = undefined;
    });
    const keySet = await current;
    return keySet(header, token);
  };
}

async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<URL> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`discovery answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw new AppError('unavailable', 'the token issuer cannot be reached', {
      cause: error,
      retryAfterSeconds: 5,
    });
  }
  const parsed = discoverySchema.safeParse(body);
  // OIDC Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
  if (!parsed.success || parsed.data.issuer !== issuer) {
    throw new AppError('unavailable', 'the token issuer published an unusable discovery document', {
      cause: parsed.success ? new Error(`issuer mismatch: ${parsed.data.issuer}`) : parsed.error,
    });
  }
  return new URL(parsed.data.jwks_uri);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Claims to TenantContext; a token without a well-formed tenant or user is not accepted. */
export function tenantFromClaims(
  payload: JWTPayload,
  settings: Pick<AuthSettings, 'claims'>,
  tierConfig: TierConfig,
): TenantContext {
  const tenantId = tenantIdSchema.safeParse(payload[settings.claims.tenantId]);
  const userId = userIdSchema.safeParse(payload[settings.claims.userId]);
  if (!tenantId.success) {
    throw new AppError('unauthorized', 'the token carries no valid tenant');
  }
  if (!userId.success) {
    throw new AppError('unauthorized', 'the token carries no valid user');
  }
  return {
    tenantId: tenantId.data,
    userId: userId.data,
    email: optionalString(payload[settings.claims.email]),
    tier: resolveTier(tierConfig, tenantId.data, optionalString(payload[settings.claims.tier])),
  };
}

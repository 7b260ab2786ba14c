import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors/app-error';
import type { TierConfig } from '../tiers/tiers';
import type { AuthConfig } from './auth-config';
import {
  createAuthenticator,
  type Authenticator,
  type AuthenticatorOptions,
} from './authenticator';
import type { TenantContext } from './tenant-context';

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)$/i;

/** The bearer token of the Authorization header (RFC 6750 §2.1), or undefined. */
export function bearerToken(req: Request): string | undefined {
  const header = req.header('authorization');
  return header ? BEARER.exec(header.trim())?.[1] : undefined;
}

/**
 * Middleware that verifies the bearer token and sets `req.tenant`. The tenant comes only from the
 * verified token: never from a header or a body. A missing or bad token goes to the problem
 * handler as a 401, with `WWW-Authenticate: Bearer` (RFC 6750 §3).
 */
export function requireAuth(authenticator: Authenticator): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req);
    if (!token) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="jitkb"');
      next(new AppError('unauthorized', 'a bearer token is required'));
      return;
    }
    authenticator.authenticate(token).then(
      (tenant) => {
        req.tenant = tenant;
        req.log = req.log?.child({ tenantId: tenant.tenantId });
        next();
      },
      (error: unknown) => {
        if (error instanceof AppError && error.code === 'unauthorized') {
          res.setHeader('WWW-Authenticate', 'Bearer realm="jitkb", error="invalid_token"');
        }
        next(error);
      },
    );
  };
}

/**
 * The one line a service needs: `app.use('/v1', createServiceAuth(config, tierConfig))`.
 * Builds the authenticator from the service's configuration (see `authEnv`) and returns the
 * middleware; keys are fetched from the issuer's JWKS and cached.
 */
export function createServiceAuth(
  config: AuthConfig,
  tierConfig: TierConfig,
  options: AuthenticatorOptions = {},
): RequestHandler {
  return requireAuth(createAuthenticator(config, tierConfig, options));
}

/**
 * The caller's tenant, for handlers behind `requireAuth`. Throws (401) rather than returning
 * undefined, so that a route mounted without the middleware fails closed.
 */
export function tenantOf(req: Request): TenantContext {
  if (!req.tenant) throw new AppError('unauthorized', 'a bearer token is required');
  return req.tenant;
}

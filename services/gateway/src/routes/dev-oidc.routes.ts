import { AppError, devTokenBody, jsonBody, type DevIssuer, type TierConfig } from '@jitkb/shared';
import { Router } from 'express';

export interface DevOidcDeps {
  issuer: DevIssuer;
  tiers: TierConfig;
}

/**
 * The embedded dev issuer (embedded mode only): discovery, key set, and `POST /dev/token`, which
 * signs a token for whoever asks. Its tokens pass the same verification as a provider's.
 */
export function devOidcRouter(deps: DevOidcDeps): Router {
  const { issuer } = deps;
  const router = Router();
  router.get('/dev/oidc/.well-known/openid-configuration', (_req, res) => {
    res.json(issuer.discovery(`${issuer.issuer}/jwks`));
  });
  router.get('/dev/oidc/jwks', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(issuer.jwks());
  });
  router.post('/dev/token', ...jsonBody('4kb'), (req, res, next) => {
    const body = devTokenBody.parse(req.body);
    if (body.tier !== undefined && !(body.tier in deps.tiers.tiers)) {
      throw AppError.invalid(`tier: no tier named ${body.tier}`);
    }
    issuer.issue(body).then((token) => {
      // RFC 6749 §5.1: token responses are never cached.
      res.setHeader('Cache-Control', 'no-store');
      res.json(token);
    }, next);
  });
  return router;
}

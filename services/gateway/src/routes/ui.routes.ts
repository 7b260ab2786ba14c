import express, { Router, type Response } from 'express';
import type { UiConfig } from '../ui-config';

export interface UiRouterDeps {
  /** The built UI: index.html, style.css and app.js (services/gateway/public). */
  publicDir: string;
  config: UiConfig;
}

/*
 * The UI loads only its own script and style. Uploads may go to a presigned S3 URL and sign-in to
 * an OIDC provider, whose origins the gateway does not know, so those two stay open to https.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' https:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // The OIDC redirect puts the authorization code in the URL: it must not travel as a referrer.
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * The web UI at `/` (static files) and its public settings at `/ui-config.json`. Mounted before
 * authentication: nothing here is tenant data, the UI fetches that with the user's token.
 */
export function uiRouter(deps: UiRouterDeps): Router {
  const router = Router();
  router.get('/ui-config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(deps.config);
  });
  router.use(
    express.static(deps.publicDir, {
      index: 'index.html',
      // Revalidated on every load (ETag): a new build is picked up without stale mixes.
      cacheControl: true,
      maxAge: 0,
      setHeaders: securityHeaders,
    }),
  );
  return router;
}

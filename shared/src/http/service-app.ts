import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '../logging/logger';
import type { ServiceMetrics } from '../metrics/metrics';
import { AppError } from '../errors/app-error';
import { notFoundHandler, problemHandler } from './problem';

declare module 'express-serve-static-core' {
  interface Request {
    log?: Logger;
    correlationId?: string;
  }
}

export const CORRELATION_HEADER = 'x-correlation-id';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface ServiceAppOptions {
  service: string;
  log: Logger;
  metrics: ServiceMetrics;
  /** Checks run by /readyz; a failing check answers 503. */
  readiness?: ReadinessCheck[];
  /** Largest JSON body accepted (default 64 KB). */
  jsonLimit?: string;
}

/** Correlation id from the request (when well formed) or a new one; a child logger per request. */
export function correlation(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.header(CORRELATION_HEADER);
    const correlationId = incoming && CORRELATION_ID.test(incoming) ? incoming : randomUUID();
    req.correlationId = correlationId;
    req.log = log.child({ correlationId });
    res.locals.correlationId = correlationId;
    res.setHeader(CORRELATION_HEADER, correlationId);
    next();
  };
}

function requestMetrics(metrics: ServiceMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      // The route pattern, not the path: ids must not explode the label space.
      const route = (req.route as { path?: string } | undefined)?.path;
      end({
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      });
    });
    next();
  };
}

/**
 * An express app with what every service serves: correlation ids, request metrics, JSON bodies,
 * `/healthz`, `/readyz` and `/metrics`. The caller adds its routes, then `finishApp`.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.use(correlation(options.log));
  app.use(requestMetrics(options.metrics));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      (options.readiness ?? []).map(async ({ name, check }) => {
        try {
          await check();
          return { name, ok: true };
        } catch (error) {
          options.log.warn({ err: error, check: name }, 'readiness check failed');
          return { name, ok: false };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not-ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return app;
}

/** Adds the not-found route and the problem+json error handler; call after the routes. */
export function finishApp(app: Express, log: Logger): Express {
  app.use(notFoundHandler);
  app.use(problemHandler(log));
  return app;
}

/** Parses JSON bodies up to `limit`; other content types on a body-carrying request are a 415. */
export function jsonBody(limit = '64kb'): RequestHandler[] {
  return [
    (req, _res, next) => {
      const hasBody =
        Number(req.header('content-length') ?? 0) > 0 ||
        req.header('transfer-encoding') !== undefined;
      if (hasBody && !req.is('application/json')) {
        next(new AppError('unsupported_media_type', 'send the body as application/json'));
        return;
      }
      next();
    },
    express.json({ limit, strict: true }),
  ];
}

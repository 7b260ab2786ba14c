import { jsonBody } from '@jitkb/shared';
import { Router, type RequestHandler } from 'express';
import type { ApiRoute } from './api-routes';

/**
 * Checks a request against its route's schemas, the same ones the services parse with, so that a
 * malformed request is a 400 from the gateway and never reaches them. A ZodError goes to the
 * problem handler (400 problem+json).
 */
function validate(route: ApiRoute): RequestHandler {
  return (req, _res, next) => {
    route.params?.parse(req.params);
    const absent = req.body === undefined && route.bodyOptional === true;
    if (route.body && !absent) route.body.parse(req.body);
    next();
  };
}

/**
 * The API table's routes: body parsing and validation, then `extra` (the query limit) on routes
 * that count as queries. Every route ends in `next()`: the proxies answer.
 */
export function apiRouter(routes: readonly ApiRoute[], queryLimit: RequestHandler): Router {
  const router = Router();
  for (const route of routes) {
    const steps: RequestHandler[] = [];
    // Bodies are parsed only where a route has one: the proxy forwards the parsed body again.
    if (route.body) steps.push(...jsonBody());
    steps.push(validate(route));
    if (route.countsAsQuery) steps.push(queryLimit);
    router[route.method](route.path, ...steps);
  }
  return router;
}

import { Router } from 'express';

/** `GET /v1/openapi.json`, public: the document is built once, at start-up. */
export function openApiRouter(document: object): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/v1/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return router;
}

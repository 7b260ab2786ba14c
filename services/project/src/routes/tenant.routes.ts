import { Router } from 'express';
import type { TenantView } from '@jitkb/shared';
import type { Caller } from '../domain/caller';
import { callerOf } from './views';

/** GET /v1/tenant: the caller's tier, limits and usage. */
export function tenantRouter(getTenant: (caller: Caller) => Promise<TenantView>): Router {
  const router = Router();
  router.get('/v1/tenant', async (req, res) => {
    res.json(await getTenant(callerOf(req)));
  });
  return router;
}

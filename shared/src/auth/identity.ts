import { z } from 'zod';

/**
 * A tenant id as it may appear in a token. No `#` and no `/`: tenant ids are joined into table keys
 * (`tenantId#projectId`) and object keys (`tenants/{tenantId}/...`).
 */
export const tenantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, ".", "_", ":", "-"; at most 128');

/** A user id (`sub`): providers use UUIDs, numbers, or `provider|id`. */
export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,255}$/, 'letters, digits and ._:@|+-; at most 256');

export const emailSchema = z.email().max(320);

/** A tier name, as TIERS spells them. */
export const tierNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/);

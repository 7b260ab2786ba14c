import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const tierLimits = z
  .object({
    maxFilesPerProject: z.number().int().positive(),
    ttlSeconds: z.number().int().positive(),
    maxFileBytes: z.number().int().positive(),
    queriesPerMinute: z.number().int().positive(),
    ingestJobsPerMinute: z.number().int().positive(),
  })
  .strict();
export type TierLimits = z.infer<typeof tierLimits>;

export const tiersSchema = z
  .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/), tierLimits)
  .refine((tiers) => Object.keys(tiers).length > 0, 'at least one tier');
export type Tiers = z.infer<typeof tiersSchema>;

const MB = 1024 * 1024;
const DAY = 24 * 60 * 60;

export const DEFAULT_TIERS: Tiers = {
  free: {
    maxFilesPerProject: 5,
    ttlSeconds: 7 * DAY,
    maxFileBytes: 10 * MB,
    queriesPerMinute: 10,
    ingestJobsPerMinute: 5,
  },
  standard: {
    maxFilesPerProject: 100,
    ttlSeconds: 30 * DAY,
    maxFileBytes: 50 * MB,
    queriesPerMinute: 60,
    ingestJobsPerMinute: 60,
  },
  premium: {
    maxFilesPerProject: 1000,
    ttlSeconds: 90 * DAY,
    maxFileBytes: 200 * MB,
    queriesPerMinute: 300,
    ingestJobsPerMinute: 600,
  },
};

/** The tier a tenant gets when neither the tenants config nor its token names one. */
export const DEFAULT_TIER = 'free';

function parseJson(text: string, variable: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new z.ZodError([
      { code: 'custom', path: [variable], message: 'is not valid JSON', input: undefined },
    ]);
  }
}

/** Env variables for tiers and tenants, merged into any service's schema. */
export const tierEnv = {
  /** JSON `{name: limits}`; wins over TIERS_FILE. */
  TIERS: z.string().optional(),
  TIERS_FILE: z.string().optional(),
  /** JSON `{tenantId: tierName}`; wins over TENANTS_FILE. */
  TENANTS: z.string().optional(),
  TENANTS_FILE: z.string().optional(),
};

export interface TierConfig {
  tiers: Tiers;
  /** The tenants config: a tenant's tier by id. */
  tenants: Record<string, string>;
}

/**
 * Reads and validates tiers and tenants from the environment (inline JSON or a file). Throws a
 * ZodError whose path names the variable.
 */
export function loadTierConfig(env: {
  TIERS?: string | undefined;
  TIERS_FILE?: string | undefined;
  TENANTS?: string | undefined;
  TENANTS_FILE?: string | undefined;
}): TierConfig {
  const tiersSource = env.TIERS
    ? { text: env.TIERS, variable: 'TIERS' }
    : env.TIERS_FILE
      ? { text: readFileSync(env.TIERS_FILE, 'utf8'), variable: 'TIERS_FILE' }
      : undefined;
  const tenantsSource = env.TENANTS
    ? { text: env.TENANTS, variable: 'TENANTS' }
    : env.TENANTS_FILE
      ? { text: readFileSync(env.TENANTS_FILE, 'utf8'), variable: 'TENANTS_FILE' }
      : undefined;

  let tiers: Tiers = DEFAULT_TIERS;
  if (tiersSource) {
    const parsed = tiersSchema.safeParse(parseJson(tiersSource.text, tiersSource.variable));
    if (!parsed.success) {
      throw new z.ZodError(
        parsed.error.issues.map((i) => ({ ...i, path: [tiersSource.variable, ...i.path] })),
      );
    }
    tiers = parsed.data;
  }
  let tenants: Record<string, string> = {};
  if (tenantsSource) {
    const schema = z.record(
      z.string().min(1),
      z.string().refine((t) => t in tiers, 'names an unknown tier'),
    );
    const parsed = schema.safeParse(parseJson(tenantsSource.text, tenantsSource.variable));
    if (!parsed.success) {
      throw new z.ZodError(
        parsed.error.issues.map((i) => ({ ...i, path: [tenantsSource.variable, ...i.path] })),
      );
    }
    tenants = parsed.data;
  }
  return { tiers, tenants };
}

/**
 * The tier of a tenant: the tenants config first, then the token's claim, then the default. An
 * unknown claimed tier falls back to the default tier rather than granting anything.
 */
export function resolveTier(config: TierConfig, tenantId: string, claimedTier?: string): string {
  const configured = config.tenants[tenantId];
  if (configured) return configured;
  if (claimedTier && claimedTier in config.tiers) return claimedTier;
  return DEFAULT_TIER in config.tiers ? DEFAULT_TIER : (Object.keys(config.tiers)[0] as string);
}

export function limitsOf(config: TierConfig, tier: string): TierLimits {
  const limits = config.tiers[tier];
  if (!limits) throw new Error(`unknown tier ${tier}`);
  return limits;
}

import { limitsOf, resolveTier, type TierConfig, type TierLimits } from '@jitkb/shared';

/** Who is asking, as the auth middleware established it. */
export interface Caller {
  tenantId: string;
  userId: string;
  /** The tier the token or the tenants config names; checked against this service's tiers. */
  tier: string;
}

/** The caller's tier and its limits, from this service's tier config (never trusted blindly). */
export function tierOf(config: TierConfig, caller: Caller): { tier: string; limits: TierLimits } {
  const tier = resolveTier(config, caller.tenantId, caller.tier);
  return { tier, limits: limitsOf(config, tier) };
}

/** Who is calling: taken only from a verified token (and the tenants config for the tier). */
export interface TenantContext {
  tenantId: string;
  userId: string;
  email: string | undefined;
  tier: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the shared auth middleware once the bearer token is verified. */
    tenant?: TenantContext;
  }
}

import type { FilesRepository, ProjectsRepository, TenantView, TierConfig } from '@jitkb/shared';
import { tierOf, type Caller } from './caller';

export interface TenantUsageDeps {
  projects: ProjectsRepository;
  files: FilesRepository;
  tiers: TierConfig;
  /** Queries the tenant made in the current minute, from the shared query rate limiter. */
  queryUsage: (tenantId: string) => Promise<number>;
}

/** The caller's tenant: tier, limits and what it uses now. */
export function createGetTenant(deps: TenantUsageDeps): (caller: Caller) => Promise<TenantView> {
  return async (caller) => {
    const { tier, limits } = tierOf(deps.tiers, caller);
    const [projects, queriesThisMinute] = await Promise.all([
      deps.projects.listAll(caller.tenantId),
      deps.queryUsage(caller.tenantId),
    ]);
    // Bounded by the tier limits: at most maxFilesPerProject records per project.
    const fileLists = await Promise.all(
      projects.map((project) => deps.files.listAll(caller.tenantId, project.projectId)),
    );
    const files = fileLists.reduce((sum, list) => sum + list.length, 0);
    const liveFiles = fileLists.reduce(
      (sum, list) => sum + list.filter((file) => file.status === 'ready').length,
      0,
    );
    return {
      tenantId: caller.tenantId,
      tier,
      limits,
      usage: { projects: projects.length, files, liveFiles, queriesThisMinute },
    };
  };
}

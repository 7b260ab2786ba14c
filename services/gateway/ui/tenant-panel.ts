import type { ApiClient, TenantView } from './api-client';
import { byId, formatBytes, formatDuration, h } from './dom';
import type { Notice } from './notice';

/** The tenant's tier, its limits and what the tenant uses of them (`GET /v1/tenant`). */
export interface TenantPanel {
  refresh(): Promise<void>;
  /** The last answer; the upload checks read the limits from it. */
  current(): TenantView | undefined;
}

export function createTenantPanel(api: ApiClient, notice: Notice): TenantPanel {
  const list = byId('tenant-details', HTMLDListElement);
  const heading = byId('tenant-title', HTMLHeadingElement);
  let tenant: TenantView | undefined;

  const row = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];

  function render(view: TenantView): void {
    const { limits, usage } = view;
    heading.textContent = `Tenant ${view.tenantId}`;
    list.replaceChildren(
      ...row('Tier', view.tier),
      ...row('Projects', String(usage.projects)),
      ...row('Files', `${usage.files} (${usage.liveFiles} in the knowledge base)`),
      ...row('Files per project', `at most ${limits.maxFilesPerProject}`),
      ...row('File size', `at most ${formatBytes(limits.maxFileBytes)}`),
      ...row('Files stay searchable', `${formatDuration(limits.ttlSeconds)} after the last chat`),
      ...row('Questions', `${usage.queriesThisMinute} of ${limits.queriesPerMinute} this minute`),
      ...row('Ingestion', `${limits.ingestJobsPerMinute} files a minute`),
    );
  }

  return {
    async refresh() {
      try {
        tenant = await api.tenant();
        render(tenant);
      } catch (error) {
        notice.error(error, 'Loading the tenant failed');
      }
    },
    current: () => tenant,
  };
}

import {
  limitsOf,
  type FilesRepository,
  type KbFileRecord,
  type KbFilesRepository,
  type Logger,
  type TenantContext,
  type TierConfig,
} from '@jitkb/shared';

/** A file's ttl moves at most once per this many seconds, however many questions it answers. */
export const TTL_REFRESH_INTERVAL_SECONDS = 60;

/**
 * The refresh interval for a tier: a minute, but never more than a quarter of the ttl, so that a
 * tier with a ttl of a minute or less still has its files kept alive by the questions asked.
 */
export function refreshIntervalSeconds(ttlSeconds: number): number {
  return Math.min(TTL_REFRESH_INTERVAL_SECONDS, Math.floor(ttlSeconds / 4));
}

export interface FileTtlDeps {
  kbFiles: KbFilesRepository;
  files: FilesRepository;
  tiers: TierConfig;
  now: () => Date;
}

export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * The kb-files records of the chat's files that are in the knowledge base for this tenant and
 * project, with a ttl still ahead. A record of another tenant or project never counts, whatever
 * file ids a chat holds.
 */
export function liveRecords(
  tenant: TenantContext,
  projectId: string,
  records: readonly KbFileRecord[],
  nowSeconds: number,
): KbFileRecord[] {
  return records.filter(
    (record) =>
      record.tenantId === tenant.tenantId &&
      record.projectId === projectId &&
      record.ttl > nowSeconds,
  );
}

/**
 * Keeps the files a chat uses in the knowledge base: their ttl moves to now plus the tier's ttl.
 * A record whose ttl is within the refresh interval of that was refreshed in that interval (by any
 * replica)
 * and is left alone, so a busy chat writes each file at most once a minute. The kb-files update
 * never shortens a ttl; the file record's expiresAt follows only when the ttl moved.
 */
export function createTtlRefresher(deps: FileTtlDeps) {
  return async (tenant: TenantContext, live: readonly KbFileRecord[], log: Logger) => {
    const { ttlSeconds } = limitsOf(deps.tiers, tenant.tier);
    const newTtl = epochSeconds(deps.now()) + ttlSeconds;
    const interval = refreshIntervalSeconds(ttlSeconds);
    const due = live.filter((record) => record.ttl < newTtl - interval);
    await Promise.all(
      due.map(async (record) => {
        const result = await deps.kbFiles.refreshTtl(record.fileId, newTtl);
        if (result !== 'extended') return;
        await deps.files.markReady(
          { tenantId: record.tenantId, projectId: record.projectId, fileId: record.fileId },
          new Date(newTtl * 1000).toISOString(),
        );
        log.debug({ fileId: record.fileId, ttl: newTtl }, 'file ttl refreshed');
      }),
    );
  };
}

export type TtlRefresher = ReturnType<typeof createTtlRefresher>;

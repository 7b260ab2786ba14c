import { createHash } from 'node:crypto';
import { ConditionFailedError } from '../errors/app-error';
import type { TableStore } from '../ports/table';

/** Shards of the byExpiry index: the sweeper queries each, so no scan is ever needed. */
export const DEFAULT_EXPIRY_SHARDS = 16;

/** A file that is in the knowledge base, until `ttl` (epoch seconds; DynamoDB's TTL attribute). */
export type KbFileRecord = {
  fileId: string;
  tenantId: string;
  projectId: string;
  userId: string;
  chunks: number;
  ttl: number;
  /** Partition of the byExpiry index, derived from the file id. */
  expiryShard: string;
};

export type NewKbFile = Omit<KbFileRecord, 'expiryShard'>;

/** What `refreshTtl` did. */
export type RefreshTtlResult = 'extended' | 'unchanged' | 'missing';

/** The kb-files table: which files are in the knowledge base and until when. */
export interface KbFilesRepository {
  /** Every shard of the byExpiry index, for the sweeper to visit. */
  readonly shards: readonly string[];
  /** The shard a file's record lives in. */
  shardOf(fileId: string): string;
  /** Writes the record (replacing any); the shard is derived here. */
  put(record: NewKbFile): Promise<KbFileRecord>;
  get(fileId: string): Promise<KbFileRecord | undefined>;
  /** The records among `fileIds` that exist, in the order asked. */
  getMany(fileIds: readonly string[]): Promise<KbFileRecord[]>;
  /**
   * Moves `ttl` to `newTtl` only if that lengthens it: `unchanged` when the stored ttl is already
   * at or past it, `missing` when there is no record (the file left the knowledge base).
   */
  refreshTtl(fileId: string, newTtl: number): Promise<RefreshTtlResult>;
  /**
   * Deletes the record only if its ttl is at or before `now` (epoch seconds), so that a chat's
   * refresh in the meantime wins; returns the deleted record, or undefined.
   */
  deleteIfExpired(fileId: string, now: number): Promise<KbFileRecord | undefined>;
  /** Records of one shard whose ttl is at or before `now`, oldest first. */
  queryExpired(shard: string, now: number, limit: number): Promise<KbFileRecord[]>;
}

export interface KbFilesRepositoryOptions {
  /** Number of expiry shards (default 16); every writer and the sweeper must agree on it. */
  shards?: number;
}

/** kb-files records on any table store (DynamoDB or the embedded SQLite). */
export function createKbFilesRepository(
  tables: TableStore,
  options: KbFilesRepositoryOptions = {},
): KbFilesRepository {
  const table = tables.table<KbFileRecord>('kbFiles');
  const shardCount = options.shards ?? DEFAULT_EXPIRY_SHARDS;
  if (!Number.isInteger(shardCount) || shardCount < 1) {
    throw new RangeError('shards must be a positive integer');
  }
  const shards = Array.from({ length: shardCount }, (_, index) => String(index));
  const shardOf = (fileId: string) =>
    String(createHash('sha256').update(fileId).digest().readUInt32BE(0) % shardCount);

  return {
    shards,
    shardOf,
    async put(record) {
      const full: KbFileRecord = { ...record, expiryShard: shardOf(record.fileId) };
      await table.put(full);
      return full;
    },
    get: (fileId) => table.get({ fileId }),
    async getMany(fileIds) {
      const found = await Promise.all([...new Set(fileIds)].map((fileId) => table.get({ fileId })));
      return found.filter((record): record is KbFileRecord => record !== undefined);
    },
    async refreshTtl(fileId, newTtl) {
      try {
        await table.update(
          { fileId },
          { ttl: newTtl },
          { condition: { and: [{ exists: 'fileId' }, { lt: ['ttl', newTtl] }] } },
        );
        return 'extended';
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        return (await table.get({ fileId })) ? 'unchanged' : 'missing';
      }
    },
    async deleteIfExpired(fileId, now) {
      try {
        return await table.delete({ fileId }, { condition: { lte: ['ttl', now] } });
      } catch (error) {
        if (error instanceof ConditionFailedError) return undefined;
        throw error;
      }
    },
    async queryExpired(shard, now, limit) {
      const page = await table.query(shard, {
        index: 'byExpiry',
        sortKey: { lte: now },
        limit,
      });
      return page.items;
    },
  };
}

import { ConditionFailedError } from '../errors/app-error';
import type { Condition, TableStore } from '../ports/table';
import { pageOptions, queryAll, type Page, type PageOptions } from './paging';

export const FILE_STATUSES = [
  'pending-upload',
  'uploaded',
  'ingesting',
  'ready',
  'expired',
  'failed',
] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

/** A file's metadata; the partition is `${tenantId}#${projectId}`, so a tenant leads every key. */
export type FileRecord = {
  tenantProject: string;
  fileId: string;
  tenantId: string;
  projectId: string;
  /** The display name, already sanitised; never used to build a key or a path. */
  name: string;
  contentType: string;
  size: number;
  objectKey: string;
  status: FileStatus;
  /** Until when the file is in the knowledge base (set when it becomes ready). */
  expiresAt?: string;
  failureReason?: string;
  /** The ingestion claim: when, by which event and on which receive of its message. */
  claimedAt?: string;
  claimedBy?: string;
  claimAttempt?: number;
  createdAt: string;
  updatedAt: string;
};

export type NewFile = Omit<FileRecord, 'tenantProject' | 'status' | 'createdAt' | 'updatedAt'>;

/**
 * Who claims a file for ingestion. With it, a claim left behind by a crashed or failed worker can
 * be taken over: at once by a later receive of the same event's message (the earlier receive has
 * ended, or the message would not be back), and by anyone once the claim is older than
 * `staleBefore`.
 */
export interface IngestionClaim {
  /** The id of the event that asks for the ingestion. */
  by: string;
  /** The receive count of its message. */
  attempt: number;
  /** Claims made before this instant (ISO 8601) may be taken over. */
  staleBefore: string;
}

/** The key of one file: tenant, project and file id. */
export interface FileRef {
  tenantId: string;
  projectId: string;
  fileId: string;
}

/**
 * File records with conditional status transitions. A transition whose starting state does not
 * hold (or whose file is gone) changes nothing and returns undefined, so event handlers that run
 * twice, late or out of order stay harmless.
 */
export interface FilesRepository {
  /** Stores a new file as `pending-upload`; throws ConditionFailedError when its id is taken. */
  create(file: NewFile): Promise<FileRecord>;
  get(ref: FileRef): Promise<FileRecord | undefined>;
  /** The files among `fileIds` that exist in the project, in the order asked. */
  getMany(tenantId: string, projectId: string, fileIds: readonly string[]): Promise<FileRecord[]>;
  list(tenantId: string, projectId: string, options?: PageOptions): Promise<Page<FileRecord>>;
  listAll(tenantId: string, projectId: string): Promise<FileRecord[]>;
  /** Deletes and returns the record, or undefined when there was none. */
  delete(ref: FileRef): Promise<FileRecord | undefined>;
  /** pending-upload → uploaded. */
  markUploaded(ref: FileRef): Promise<FileRecord | undefined>;
  /**
   * uploaded | expired → ingesting; true when this caller won the claim. With `claim`, the claim
   * is recorded and an `ingesting` file whose claim may be taken over (see IngestionClaim) is
   * claimed too.
   */
  claimForIngestion(ref: FileRef, claim?: IngestionClaim): Promise<boolean>;
  /**
   * uploaded | ingesting | ready | expired → ready until `expiresAt`, which must be later than the
   * stored one: a repeat changes nothing, a late duplicate of an old ingestion can neither shorten
   * the expiry nor bring back a file the janitor has expired since.
   */
  markReady(ref: FileRef, expiresAt: string): Promise<FileRecord | undefined>;
  /** uploaded | ingesting | expired | failed → failed with the reason. */
  markFailed(ref: FileRef, reason: string): Promise<FileRecord | undefined>;
  /** ready → expired. */
  markExpired(ref: FileRef): Promise<FileRecord | undefined>;
}

export interface FilesRepositoryOptions {
  /** The time of writes (tests pass a fixed clock). */
  now?: () => Date;
}

/** The partition key of a project's files. */
export function tenantProjectKey(tenantId: string, projectId: string): string {
  return `${tenantId}#${projectId}`;
}

const statusIn = (statuses: FileStatus[]): Condition => ({ in: ['status', statuses] });

/** An `ingesting` file whose claim is stale, unrecorded, or an earlier receive's of this event. */
function takeOver(claim: IngestionClaim): Condition {
  const staleBefore = new Date(claim.staleBefore).toISOString();
  return {
    and: [
      { eq: ['status', 'ingesting'] },
      {
        or: [
          { notExists: 'claimedAt' },
          { lt: ['claimedAt', staleBefore] },
          { and: [{ eq: ['claimedBy', claim.by] }, { lt: ['claimAttempt', claim.attempt] }] },
        ],
      },
    ],
  };
}

/** Files on the `files` table of any table store (DynamoDB or the embedded SQLite). */
export function createFilesRepository(
  tables: TableStore,
  options: FilesRepositoryOptions = {},
): FilesRepository {
  const table = tables.table<FileRecord>('files');
  const now = () => (options.now ?? (() => new Date()))().toISOString();
  const key = (ref: FileRef) => ({
    tenantProject: tenantProjectKey(ref.tenantId, ref.projectId),
    fileId: ref.fileId,
  });

  async function transition(
    ref: FileRef,
    set: Partial<FileRecord>,
    condition: Condition,
    remove?: string[],
  ): Promise<FileRecord | undefined> {
    try {
      return await table.update(
        key(ref),
        { ...set, updatedAt: now() },
        // `exists` first: an update must never bring a deleted file back.
        { condition: { and: [{ exists: 'fileId' }, condition] }, ...(remove ? { remove } : {}) },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  return {
    async create(file) {
      const at = now();
      const record: FileRecord = {
        ...file,
        tenantProject: tenantProjectKey(file.tenantId, file.projectId),
        status: 'pending-upload',
        createdAt: at,
        updatedAt: at,
      };
      await table.put(record, { condition: { notExists: 'fileId' } });
      return record;
    },
    get: (ref) => table.get(key(ref)),
    async getMany(tenantId, projectId, fileIds) {
      const found = await Promise.all(
        [...new Set(fileIds)].map((fileId) => table.get(key({ tenantId, projectId, fileId }))),
      );
      return found.filter((file): file is FileRecord => file !== undefined);
    },
    list: (tenantId, projectId, paging = {}) =>
      table.query(tenantProjectKey(tenantId, projectId), pageOptions(paging)),
    listAll: (tenantId, projectId) => queryAll(table, tenantProjectKey(tenantId, projectId)),
    delete: (ref) => table.delete(key(ref)),

    markUploaded: (ref) =>
      transition(ref, { status: 'uploaded' }, { eq: ['status', 'pending-upload'] }),
    async claimForIngestion(ref, claim) {
      const claimed = claim
        ? await transition(
            ref,
            {
              status: 'ingesting',
              claimedAt: now(),
              claimedBy: claim.by,
              claimAttempt: claim.attempt,
            },
            { or: [statusIn(['uploaded', 'expired']), takeOver(claim)] },
            ['failureReason'],
          )
        : await transition(ref, { status: 'ingesting' }, statusIn(['uploaded', 'expired']), [
            'failureReason',
          ]);
      return claimed !== undefined;
    },
    markReady(ref, expiresAt) {
      // One format for every stored time, so that the string comparison below orders them.
      const until = new Date(expiresAt).toISOString();
      return transition(
        ref,
        { status: 'ready', expiresAt: until },
        {
          and: [
            statusIn(['uploaded', 'ingesting', 'ready', 'expired']),
            { or: [{ notExists: 'expiresAt' }, { lt: ['expiresAt', until] }] },
          ],
        },
        ['failureReason'],
      );
    },
    markFailed: (ref, reason) =>
      transition(
        ref,
        { status: 'failed', failureReason: reason },
        statusIn(['uploaded', 'ingesting', 'expired', 'failed']),
      ),
    markExpired: (ref) => transition(ref, { status: 'expired' }, { eq: ['status', 'ready'] }),
  };
}

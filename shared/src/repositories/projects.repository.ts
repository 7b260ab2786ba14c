import { ConditionFailedError } from '../errors/app-error';
import type { TableStore } from '../ports/table';
import { pageOptions, queryAll, type Page, type PageOptions } from './paging';

/** A project as stored: keyed by tenant first, with its live count of file records. */
export type ProjectRecord = {
  tenantId: string;
  projectId: string;
  name: string;
  ownerId: string;
  createdAt: string;
  /** File records in the project; changed only by conditional increments. */
  fileCount: number;
};

/** Why a file slot could not be reserved. */
export type ReserveFileSlotResult =
  | { reserved: true; fileCount: number }
  | { reserved: false; reason: 'not-found' | 'limit-reached'; fileCount?: number };

/** Projects of every tenant; every operation is keyed by the tenant. */
export interface ProjectsRepository {
  /** Stores a new project; throws ConditionFailedError when its id is taken. */
  create(project: Omit<ProjectRecord, 'fileCount'>): Promise<ProjectRecord>;
  get(tenantId: string, projectId: string): Promise<ProjectRecord | undefined>;
  /** A page of the tenant's projects in id order. */
  list(tenantId: string, options?: PageOptions): Promise<Page<ProjectRecord>>;
  listAll(tenantId: string): Promise<ProjectRecord[]>;
  /** Deletes and returns the project, or undefined when there was none. */
  delete(tenantId: string, projectId: string): Promise<ProjectRecord | undefined>;
  /**
   * Adds one to the project's file count if it is below `maxFiles`, in one conditional write, so
   * that concurrent callers can never pass the limit together.
   */
  reserveFileSlot(
    tenantId: string,
    projectId: string,
    maxFiles: number,
  ): Promise<ReserveFileSlotResult>;
  /** Gives a slot back (a file deleted, or a creation that failed after its reservation). */
  releaseFileSlot(tenantId: string, projectId: string): Promise<void>;
}

/** Projects on the `projects` table of any table store (DynamoDB or the embedded SQLite). */
export function createProjectsRepository(tables: TableStore): ProjectsRepository {
  const table = tables.table<ProjectRecord>('projects');
  const key = (tenantId: string, projectId: string) => ({ tenantId, projectId });

  return {
    async create(project) {
      const record: ProjectRecord = { ...project, fileCount: 0 };
      await table.put(record, { condition: { notExists: 'projectId' } });
      return record;
    },
    get: (tenantId, projectId) => table.get(key(tenantId, projectId)),
    list: (tenantId, options = {}) => table.query(tenantId, pageOptions(options)),
    listAll: (tenantId) => queryAll(table, tenantId),
    delete: (tenantId, projectId) => table.delete(key(tenantId, projectId)),

    async reserveFileSlot(tenantId, projectId, maxFiles) {
      try {
        const updated = await table.update(
          key(tenantId, projectId),
          {},
          {
            increment: { fileCount: 1 },
            condition: { and: [{ exists: 'projectId' }, { lt: ['fileCount', maxFiles] }] },
          },
        );
        return { reserved: true, fileCount: updated.fileCount };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        const current = await table.get(key(tenantId, projectId));
        return current
          ? { reserved: false, reason: 'limit-reached', fileCount: current.fileCount }
          : { reserved: false, reason: 'not-found' };
      }
    },

    async releaseFileSlot(tenantId, projectId) {
      try {
        await table.update(
          key(tenantId, projectId),
          {},
          {
            increment: { fileCount: -1 },
            condition: { and: [{ exists: 'projectId' }, { gt: ['fileCount', 0] }] },
          },
        );
      } catch (error) {
        // A deleted project has no count to keep, and a count never goes below zero.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    },
  };
}

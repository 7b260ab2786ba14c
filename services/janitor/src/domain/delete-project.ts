import {
  AppError,
  projectPrefix,
  type FilesRepository,
  type KbFilesRepository,
  type KnowledgeBase,
  type Logger,
  type ObjectStore,
  type ProjectsRepository,
} from '@jitkb/shared';
import { timedKnowledgeBaseCall, type JanitorMetrics } from './janitor-metrics';

export interface DeleteProjectDeps {
  projects: ProjectsRepository;
  files: FilesRepository;
  kbFiles: KbFilesRepository;
  knowledgeBase: KnowledgeBase;
  objects: ObjectStore;
  metrics: JanitorMetrics;
  /** File records handled per page (default 100). */
  pageSize?: number;
}

export interface ProjectRef {
  tenantId: string;
  projectId: string;
}

export interface DeleteProjectResult {
  files: number;
  objects: number;
}

/** Deletes a kb-files record whatever its ttl (the same bound the ingestion worker uses). */
const ANY_TTL = Number.MAX_SAFE_INTEGER;

/**
 * Removes what is left of a deleted project: for each page of its file records, the chunks, the
 * kb-files records and then the file records; finally every object under the project's prefix.
 * File records go last, so that a failure part-way leaves them to be found again by the retry;
 * every step is idempotent.
 *
 * The project service deletes the project record before it publishes `project.deleted`, which
 * also closes the project to new files. An event for a project that still exists is refused
 * (`invalid_input`, so it is dropped, not retried): removing a live project's files would lose
 * data.
 */
export function createDeleteProject(deps: DeleteProjectDeps) {
  const pageSize = deps.pageSize ?? 100;

  async function removePage(ref: ProjectRef, fileIds: string[]): Promise<void> {
    await timedKnowledgeBaseCall(deps.metrics, 'delete', () => deps.knowledgeBase.delete(fileIds));
    await Promise.all(fileIds.map((fileId) => deps.kbFiles.deleteIfExpired(fileId, ANY_TTL)));
    await Promise.all(fileIds.map((fileId) => deps.files.delete({ ...ref, fileId })));
  }

  return async function deleteProject(ref: ProjectRef, log: Logger): Promise<DeleteProjectResult> {
    if (await deps.projects.get(ref.tenantId, ref.projectId)) {
      throw AppError.invalid('project.deleted names a project that still exists');
    }
    let files = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.files.list(ref.tenantId, ref.projectId, {
        limit: pageSize,
        ...(cursor ? { cursor } : {}),
      });
      if (page.items.length > 0) {
        await removePage(
          ref,
          page.items.map((file) => file.fileId),
        );
      }
      files += page.items.length;
      cursor = page.cursor;
    } while (cursor);
    const objects = await deps.objects.deletePrefix(projectPrefix(ref.tenantId, ref.projectId));
    deps.metrics.projectsRemoved.inc();
    log.info({ projectId: ref.projectId, files, objects }, 'deleted project removed');
    return { files, objects };
  };
}

export type DeleteProject = ReturnType<typeof createDeleteProject>;

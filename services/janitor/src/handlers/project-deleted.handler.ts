import type { EventOf, Logger } from '@jitkb/shared';
import type { DeleteProject } from '../domain/delete-project';

/** `project.deleted`: removes the project's files, chunks, records and objects. */
export function createProjectDeletedHandler(deps: { deleteProject: DeleteProject }) {
  return async (event: EventOf<'project.deleted'>, log: Logger): Promise<void> => {
    await deps.deleteProject({ tenantId: event.tenantId, projectId: event.data.projectId }, log);
  };
}

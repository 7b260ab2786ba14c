import type { Logger, ReceivedEvent } from '@jitkb/shared';
import type { DeleteProject } from '../domain/delete-project';
import type { ExpireFile } from '../domain/expire-file';
import { createFileExpiredHandler } from './file-expired.handler';
import { createProjectDeletedHandler } from './project-deleted.handler';

export interface EventHandlerDeps {
  expireFile: ExpireFile;
  deleteProject: DeleteProject;
  log: Logger;
}

/**
 * The janitor queue's handler (`file.expired`, `project.deleted`). Errors propagate: the bus logs
 * them, times the handler and brings the message back (dead-lettered in time); `invalid_input`
 * is dropped.
 */
export function createEventHandler(deps: EventHandlerDeps) {
  const expired = createFileExpiredHandler(deps);
  const projectDeleted = createProjectDeletedHandler(deps);

  return async ({ event, correlationId }: ReceivedEvent): Promise<void> => {
    const log = deps.log.child({ eventId: event.id, eventType: event.type, correlationId });
    if (event.type === 'file.expired') await expired(event, log);
    else if (event.type === 'project.deleted') await projectDeleted(event, log);
    else log.warn('event type not handled here; acknowledged');
  };
}

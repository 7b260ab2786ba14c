import type { EventOf, Logger } from '@jitkb/shared';
import type { ExpireFile } from '../domain/expire-file';

/**
 * `file.expired`: from the sweeper, from DynamoDB's TTL through the EventBridge Pipe, or from the
 * project service when a user deletes a file. The use case decides what is still to be removed.
 */
export function createFileExpiredHandler(deps: { expireFile: ExpireFile }) {
  return async (event: EventOf<'file.expired'>, log: Logger): Promise<void> => {
    const { projectId, fileId } = event.data;
    await deps.expireFile({ tenantId: event.tenantId, projectId, fileId }, log);
  };
}

import { randomUUID } from 'node:crypto';
import {
  AppError,
  createEvent,
  type EventBus,
  type ProjectRecord,
  type ProjectsRepository,
} from '@jitkb/shared';
import type { Caller } from './caller';
import { sanitiseName } from './names';

export interface ProjectUseCasesDeps {
  projects: ProjectsRepository;
  bus: EventBus;
  now?: () => Date;
  newId?: () => string;
}

export interface ProjectUseCases {
  createProject(caller: Caller, input: { name: string }): Promise<ProjectRecord>;
  listProjects(caller: Caller): Promise<ProjectRecord[]>;
  /** The caller's project; another tenant's project is `not_found`, as a missing one is. */
  getProject(caller: Caller, projectId: string): Promise<ProjectRecord>;
  /** Removes the project record and publishes `project.deleted`; the janitor removes the rest. */
  deleteProject(caller: Caller, projectId: string, correlationId?: string): Promise<void>;
}

/** Project use cases; every lookup is keyed by the caller's tenant. */
export function createProjectUseCases(deps: ProjectUseCasesDeps): ProjectUseCases {
  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;

  async function getProject(caller: Caller, projectId: string): Promise<ProjectRecord> {
    const project = await deps.projects.get(caller.tenantId, projectId);
    if (!project) throw AppError.notFound('project');
    return project;
  }

  return {
    createProject: (caller, input) =>
      deps.projects.create({
        tenantId: caller.tenantId,
        projectId: newId(),
        name: sanitiseName(input.name, 'the project name'),
        ownerId: caller.userId,
        createdAt: now().toISOString(),
      }),
    listProjects: (caller) => deps.projects.listAll(caller.tenantId),
    getProject,
    async deleteProject(caller, projectId, correlationId) {
      // Deleting first closes the project to new files before the janitor lists what to remove.
      const deleted = await deps.projects.delete(caller.tenantId, projectId);
      if (!deleted) throw AppError.notFound('project');
      await deps.bus.publish(
        createEvent('project.deleted', caller.tenantId, { projectId }),
        correlationId ? { correlationId } : {},
      );
    },
  };
}

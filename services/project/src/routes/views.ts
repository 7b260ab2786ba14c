import {
  AppError,
  type FileRecord,
  type FileView,
  type ProjectRecord,
  type ProjectView,
} from '@jitkb/shared';
import type { Request } from 'express';
import type { Caller } from '../domain/caller';

/** The verified caller; the auth middleware runs before every /v1 route. */
export function callerOf(req: Request): Caller {
  if (!req.tenant) throw new AppError('unauthorized', 'a bearer token is required');
  return req.tenant;
}

export function toProjectView(project: ProjectRecord): ProjectView {
  return {
    id: project.projectId,
    name: project.name,
    ownerId: project.ownerId,
    fileCount: project.fileCount,
    createdAt: project.createdAt,
  };
}

export function toFileView(file: FileRecord): FileView {
  return {
    id: file.fileId,
    projectId: file.projectId,
    name: file.name,
    contentType: file.contentType,
    size: file.size,
    status: file.status,
    expiresAt: file.expiresAt ?? null,
    ...(file.failureReason !== undefined ? { failureReason: file.failureReason } : {}),
    createdAt: file.createdAt,
    updatedAt: file.updatedAt,
  };
}

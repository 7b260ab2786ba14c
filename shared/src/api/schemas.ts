import { z } from 'zod';
import { FILE_STATUSES } from '../repositories/files.repository';
import { tierLimits } from '../tiers/tiers';

/**
 * Schemas of the project, file and tenant routes (DESIGN.md, HTTP API). Request bodies are
 * strict: an unknown field is a 400. The services parse with them and the OpenAPI document is
 * generated from them, so the two cannot drift apart.
 */

/** An opaque id in a path: what the services generate (UUIDs) fits, nothing path-like does. */
export const idParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'is not a valid id')
  .meta({ id: 'Id' });

export const projectParams = z.object({ id: idParam });
export const fileParams = z.object({ id: idParam, fileId: idParam });

/** Names are sanitised for display by the service; this only bounds what is read. */
const nameInput = z.string().min(1).max(1024);

export const createProjectBody = z.object({ name: nameInput }).strict().meta({
  id: 'CreateProjectRequest',
});
export type CreateProjectBody = z.infer<typeof createProjectBody>;

export const projectView = z
  .object({
    id: idParam,
    name: z.string(),
    ownerId: z.string(),
    fileCount: z.number().int().nonnegative(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Project' });
export type ProjectView = z.infer<typeof projectView>;

export const projectList = z.object({ items: z.array(projectView) }).meta({ id: 'ProjectList' });

export const createFileBody = z
  .object({
    name: nameInput,
    /** A media type; one outside the supported types is a 415, not a 400. */
    contentType: z.string().min(1).max(255),
    size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  })
  .strict()
  .meta({ id: 'CreateFileRequest' });
export type CreateFileBody = z.infer<typeof createFileBody>;

/** `complete` takes no body; an empty object is tolerated, anything else is a 400. */
export const completeFileBody = z.object({}).strict().optional();

export const fileView = z
  .object({
    id: idParam,
    projectId: idParam,
    name: z.string(),
    contentType: z.string(),
    size: z.number().int().nonnegative(),
    status: z.enum(FILE_STATUSES),
    /** Until when the file is in the knowledge base; null before its first ingestion. */
    expiresAt: z.iso.datetime().nullable(),
    failureReason: z.string().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'File' });
export type FileView = z.infer<typeof fileView>;

export const fileList = z.object({ items: z.array(fileView) }).meta({ id: 'FileList' });

export const uploadTarget = z
  .object({
    method: z.enum(['PUT', 'POST']),
    url: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
    fields: z.record(z.string(), z.string()).optional(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'UploadTarget' });

export const createdFileView = fileView
  .extend({ upload: uploadTarget })
  .meta({ id: 'CreatedFile' });
export type CreatedFileView = z.infer<typeof createdFileView>;

export const tenantView = z
  .object({
    tenantId: z.string(),
    tier: z.string(),
    limits: tierLimits,
    usage: z.object({
      projects: z.number().int().nonnegative(),
      /** File records in all projects, whatever their status. */
      files: z.number().int().nonnegative(),
      /** Files that are in the knowledge base now (status `ready`). */
      liveFiles: z.number().int().nonnegative(),
      queriesThisMinute: z.number().int().nonnegative(),
    }),
  })
  .meta({ id: 'Tenant' });
export type TenantView = z.infer<typeof tenantView>;

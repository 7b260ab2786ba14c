import { randomUUID } from 'node:crypto';
import {
  AppError,
  createEvent,
  objectKey,
  resolveContentType,
  SUPPORTED_TYPES,
  type EventBus,
  type FileRecord,
  type FileRef,
  type FilesRepository,
  type ObjectStore,
  type ProjectsRepository,
  type ServiceMetrics,
  type TierConfig,
  type UploadTarget,
} from '@jitkb/shared';
import { tierOf, type Caller } from './caller';
import { sanitiseName } from './names';

export interface FileUseCasesDeps {
  projects: ProjectsRepository;
  files: FilesRepository;
  objects: ObjectStore;
  bus: EventBus;
  tiers: TierConfig;
  metrics?: Pick<ServiceMetrics, 'limitRejections'>;
  /** How long an upload URL stays valid (default: the object store's). */
  uploadExpiresInSeconds?: number;
  newId?: () => string;
}

export interface NewFileInput {
  name: string;
  contentType: string;
  size: number;
}

export interface FileUseCases {
  /** Checks type, size and the file limit, reserves a slot and returns an upload target. */
  createFile(
    caller: Caller,
    projectId: string,
    input: NewFileInput,
  ): Promise<{ file: FileRecord; upload: UploadTarget }>;
  /** Marks the file uploaded once the stored object matches what was declared. */
  completeUpload(caller: Caller, ref: Omit<FileRef, 'tenantId'>): Promise<FileRecord>;
  listFiles(caller: Caller, projectId: string): Promise<FileRecord[]>;
  /** Deletes object and record, frees the slot and publishes `file.expired` for the chunks. */
  deleteFile(caller: Caller, ref: Omit<FileRef, 'tenantId'>, correlationId?: string): Promise<void>;
}

/** File use cases; every lookup is keyed by the caller's tenant. */
export function createFileUseCases(deps: FileUseCasesDeps): FileUseCases {
  const newId = deps.newId ?? randomUUID;

  function checkFile(caller: Caller, input: NewFileInput) {
    const { tier, limits } = tierOf(deps.tiers, caller);
    const name = sanitiseName(input.name, 'the file name');
    // The name only decides when the declared type says nothing (application/octet-stream).
    const contentType = resolveContentType(input.contentType, name);
    if (!contentType) {
      throw new AppError(
        'unsupported_media_type',
        `files of type ${bareType(input.contentType) || '(none)'} are not supported`,
        {
          type: 'unsupported-file-type',
          extensions: { supportedTypes: SUPPORTED_TYPES.map((type) => type.contentType) },
        },
      );
    }
    if (input.size > limits.maxFileBytes) {
      deps.metrics?.limitRejections.inc({ limit: 'max-file-bytes', tier });
      throw new AppError(
        'payload_too_large',
        `the file is ${input.size} bytes; the ${tier} tier allows at most ${limits.maxFileBytes}`,
        { type: 'file-too-large', extensions: { maxFileBytes: limits.maxFileBytes } },
      );
    }
    return { tier, limits, contentType, name };
  }

  async function reserveSlot(caller: Caller, projectId: string, tier: string, max: number) {
    const slot = await deps.projects.reserveFileSlot(caller.tenantId, projectId, max);
    if (slot.reserved) return;
    if (slot.reason === 'not-found') throw AppError.notFound('project');
    deps.metrics?.limitRejections.inc({ limit: 'files-per-project', tier });
    throw AppError.conflict(`the ${tier} tier allows at most ${max} files per project`, {
      type: 'limit-exceeded',
      extensions: { limit: 'files-per-project', maxFilesPerProject: max },
    });
  }

  async function getFile(caller: Caller, ref: Omit<FileRef, 'tenantId'>): Promise<FileRecord> {
    const file = await deps.files.get({ ...ref, tenantId: caller.tenantId });
    if (!file) throw AppError.notFound('file');
    return file;
  }

  return {
    async createFile(caller, projectId, input) {
      const { tier, limits, contentType, name } = checkFile(caller, input);
      await reserveSlot(caller, projectId, tier, limits.maxFilesPerProject);
      const fileId = newId();
      const key = objectKey(caller.tenantId, projectId, fileId);
      try {
        const upload = await deps.objects.createUpload(key, {
          contentType,
          maxBytes: input.size,
          // Unset: the store's default (DEFAULT_UPLOAD_EXPIRY_SECONDS).
          ...(deps.uploadExpiresInSeconds !== undefined
            ? { expiresInSeconds: deps.uploadExpiresInSeconds }
            : {}),
        });
        const file = await deps.files.create({
          tenantId: caller.tenantId,
          projectId,
          fileId,
          name,
          contentType,
          size: input.size,
          objectKey: key,
        });
        return { file, upload };
      } catch (error) {
        // The slot was taken for a file that now will not exist.
        await deps.projects.releaseFileSlot(caller.tenantId, projectId);
        throw error;
      }
    },

    async completeUpload(caller, ref) {
      const file = await getFile(caller, ref);
      // Completing twice, or after ingestion started, is answered with the file as it is.
      if (file.status !== 'pending-upload') return file;
      await checkStoredObject(deps.objects, file);
      const uploaded = await deps.files.markUploaded({ ...ref, tenantId: caller.tenantId });
      return uploaded ?? getFile(caller, ref);
    },

    async listFiles(caller, projectId) {
      const project = await deps.projects.get(caller.tenantId, projectId);
      if (!project) throw AppError.notFound('project');
      return deps.files.listAll(caller.tenantId, projectId);
    },

    async deleteFile(caller, ref, correlationId) {
      const file = await getFile(caller, ref);
      await deps.objects.delete(file.objectKey);
      const deleted = await deps.files.delete({ ...ref, tenantId: caller.tenantId });
      // Only the caller that removed the record gives its slot back.
      if (!deleted) throw AppError.notFound('file');
      await deps.projects.releaseFileSlot(caller.tenantId, ref.projectId);
      await deps.bus.publish(
        createEvent('file.expired', caller.tenantId, {
          projectId: ref.projectId,
          fileId: ref.fileId,
        }),
        correlationId ? { correlationId } : {},
      );
    },
  };
}

/** Throws a 409 with a clear detail unless the stored object has the declared size and type. */
async function checkStoredObject(objects: ObjectStore, file: FileRecord): Promise<void> {
  const stored = await objects.head(file.objectKey);
  if (!stored) {
    throw AppError.conflict('nothing has been uploaded for this file yet', {
      type: 'upload-incomplete',
    });
  }
  if (stored.size !== file.size) {
    throw AppError.conflict(
      `the uploaded object is ${stored.size} bytes, but ${file.size} bytes were declared`,
      { type: 'upload-mismatch', extensions: { declaredSize: file.size, storedSize: stored.size } },
    );
  }
  const storedType = stored.contentType ? bareType(stored.contentType) : undefined;
  if (storedType !== file.contentType) {
    throw AppError.conflict(
      `the uploaded object's type is ${storedType ?? 'unknown'}, but ${file.contentType} was declared`,
      {
        type: 'upload-mismatch',
        extensions: {
          declaredContentType: file.contentType,
          storedContentType: storedType ?? null,
        },
      },
    );
  }
}

/** A media type without parameters, in lower case. */
function bareType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

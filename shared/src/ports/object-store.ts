import { AppError } from '../errors/app-error';

/** How a client uploads: `PUT` with `headers`, or `POST` multipart with `fields`, then the file. */
export interface UploadTarget {
  method: 'PUT' | 'POST';
  url: string;
  headers?: Record<string, string>;
  fields?: Record<string, string>;
  expiresAt: string;
}

export interface UploadRequest {
  contentType: string;
  /** The largest body the URL accepts, in bytes. */
  maxBytes: number;
  expiresInSeconds?: number;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
}

/** Object storage with presigned uploads: S3, or files on disk with HMAC-signed upload URLs. */
export interface ObjectStore {
  /** A URL a client can upload one object to, bound to its content type and maximum size. */
  createUpload(key: string, request: UploadRequest): Promise<UploadTarget>;
  /** Size and type of a stored object, or undefined when there is none. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** The object's bytes; throws AppError `not_found` when missing. */
  get(key: string): Promise<Buffer>;
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** Idempotent. */
  delete(key: string): Promise<void>;
  /** Deletes every object whose key starts with prefix; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}

/** Object keys never come from user input such as file names. */
export function objectKey(tenantId: string, projectId: string, fileId: string): string {
  return `tenants/${tenantId}/projects/${projectId}/files/${fileId}`;
}

export function projectPrefix(tenantId: string, projectId: string): string {
  return `tenants/${tenantId}/projects/${projectId}/`;
}

/** How long an upload URL stays valid when the request does not say. */
export const DEFAULT_UPLOAD_EXPIRY_SECONDS = 15 * 60;
/** S3 refuses presigned requests valid for longer than a week; both families share the bound. */
export const MAX_UPLOAD_EXPIRY_SECONDS = 7 * 24 * 3600;

// Plain segments only: no `.`/`..`, no leading dot or slash, no backslash, so a key can never name
// a path outside a local store's root, and a local store's dot-named sidecar files never collide
// with a key.
const KEY_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=@+-]{0,199}$/;
const MAX_KEY_LENGTH = 1024;

function validSegments(value: string): boolean {
  const segments = value.split('/');
  return (
    value.length <= MAX_KEY_LENGTH &&
    segments[0] === 'tenants' &&
    segments.length >= 2 &&
    segments.every((segment) => KEY_SEGMENT.test(segment))
  );
}

/** Throws AppError `invalid_input` unless key has the `tenants/{tenantId}/...` shape. */
export function assertObjectKey(key: string): void {
  if (!validSegments(key)) throw AppError.invalid('object key has an invalid shape');
}

/**
 * Throws AppError `invalid_input` unless prefix is `tenants/{tenantId}/...` ending with `/`, so a
 * prefix deletion never reaches beyond one tenant (an empty prefix would empty the store).
 */
export function assertObjectPrefix(prefix: string): void {
  if (!prefix.endsWith('/') || !validSegments(prefix.slice(0, -1)))
    throw AppError.invalid('object prefix has an invalid shape');
}

// A media type with optional parameters, and nothing that could split a header (CR, LF).
const MEDIA_TYPE =
  /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;\s*[\w!#$&^.+-]+=("[^"\r\n]*"|[\w!#$&^.+-]+))*$/;

/** Validates an upload request and fills in the default expiry; both adapters call it. */
export function checkUploadRequest(request: UploadRequest): Required<UploadRequest> {
  const { contentType, maxBytes } = request;
  const expiresInSeconds = request.expiresInSeconds ?? DEFAULT_UPLOAD_EXPIRY_SECONDS;
  if (contentType.length > 255 || !MEDIA_TYPE.test(contentType))
    throw AppError.invalid('contentType is not a media type');
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
    throw AppError.invalid('maxBytes must be a positive integer');
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < 1 ||
    expiresInSeconds > MAX_UPLOAD_EXPIRY_SECONDS
  )
    throw AppError.invalid(`expiresInSeconds must be between 1 and ${MAX_UPLOAD_EXPIRY_SECONDS}`);
  return { contentType, maxBytes, expiresInSeconds };
}

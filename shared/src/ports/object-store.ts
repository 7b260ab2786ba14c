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

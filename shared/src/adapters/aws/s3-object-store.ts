import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { AppError, isAppError } from '../../errors/app-error';
import {
  assertObjectKey,
  assertObjectPrefix,
  checkUploadRequest,
  type ObjectInfo,
  type ObjectStore,
  type UploadRequest,
  type UploadTarget,
} from '../../ports/object-store';

export interface S3ObjectStoreOptions {
  client: S3Client;
  bucket: string;
  /**
   * Signs upload URLs; defaults to `client`. A second client lets the URL point at the endpoint
   * browsers reach (a public host) while the service talks to an internal one.
   */
  presignClient?: S3Client;
}

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey', 'NoSuchBucket']);
const THROTTLED = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ServiceUnavailable',
  'InternalError',
]);

interface SdkErrorShape {
  name?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/**
 * Wraps an SDK error in AppError: a missing object or bucket is `not_found`; throttling, 5xx and
 * network failures (no HTTP status at all) are retryable `unavailable`; the rest `internal`, since
 * a refused S3 call (403, 400) is this service's misconfiguration, not the caller's fault.
 */
export function s3Error(action: string, error: unknown): AppError {
  if (isAppError(error)) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof sdk.name === 'string' ? sdk.name : '';
  const status = sdk.$metadata?.httpStatusCode;
  if (NOT_FOUND.has(name) || status === 404)
    return new AppError('not_found', `object store: ${action}: not found`, { cause: error });
  if (
    THROTTLED.has(name) ||
    sdk.$retryable !== undefined ||
    status === undefined ||
    status === 429 ||
    status >= 500
  )
    return new AppError('unavailable', `object store: ${action} failed`, {
      cause: error,
      retryable: true,
    });
  return new AppError('internal', `object store: ${action} failed`, { cause: error });
}

/**
 * The ObjectStore on S3 (or any S3 API). Uploads are presigned POSTs whose signed policy binds
 * the key, the exact Content-Type and `content-length-range` 1..maxBytes, so S3 itself refuses
 * anything else.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly presignClient: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.presignClient = options.presignClient ?? options.client;
  }

  async createUpload(key: string, request: UploadRequest): Promise<UploadTarget> {
    assertObjectKey(key);
    const { contentType, maxBytes, expiresInSeconds } = checkUploadRequest(request);
    const expiresAt = new Date(Date.now() + expiresInSeconds * 1000);
    try {
      const { url, fields } = await createPresignedPost(this.presignClient, {
        Bucket: this.bucket,
        Key: key,
        Conditions: [
          ['content-length-range', 1, maxBytes],
          ['eq', '$Content-Type', contentType],
        ],
        Fields: { 'Content-Type': contentType },
        Expires: expiresInSeconds,
      });
      return { method: 'POST', url, fields, expiresAt: expiresAt.toISOString() };
    } catch (error) {
      throw s3Error('createUpload', error);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, contentType: out.ContentType };
    } catch (error) {
      const wrapped = s3Error('head', error);
      if (wrapped.code === 'not_found') return undefined;
      throw wrapped;
    }
  }

  async get(key: string): Promise<Buffer> {
    assertObjectKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!out.Body) return Buffer.alloc(0);
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (error) {
      const wrapped = s3Error('get', error);
      throw wrapped.code === 'not_found' ? AppError.notFound('object') : wrapped;
    }
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertObjectKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.length,
        }),
      );
    } catch (error) {
      throw s3Error('put', error);
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      // S3 answers 204 for a key that is not there, which keeps this idempotent.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw s3Error('delete', error);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertObjectPrefix(prefix);
    let deleted = 0;
    let continuationToken: string | undefined;
    do {
      const page = await this.listPage(prefix, continuationToken);
      deleted += await this.deleteKeys(page.keys);
      continuationToken = page.next;
    } while (continuationToken);
    return deleted;
  }

  private async listPage(
    prefix: string,
    continuationToken: string | undefined,
  ): Promise<{ keys: string[]; next: string | undefined }> {
    try {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ContinuationToken: continuationToken,
        }),
      );
      const keys = (out.Contents ?? []).flatMap((item) => (item.Key ? [item.Key] : []));
      return { keys, next: out.IsTruncated ? out.NextContinuationToken : undefined };
    } catch (error) {
      throw s3Error('deletePrefix (list)', error);
    }
  }

  /** One DeleteObjects call: a list page holds at most 1000 keys, DeleteObjects' own limit. */
  private async deleteKeys(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    let out;
    try {
      out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    } catch (error) {
      throw s3Error('deletePrefix (delete)', error);
    }
    const failure = out.Errors?.[0];
    if (failure)
      // Per-key failures come back in a 200; retrying the whole prefix is safe.
      throw new AppError(
        'unavailable',
        `object store: could not delete ${failure.Key ?? 'a key'}`,
        {
          retryable: true,
          cause: failure,
        },
      );
    return keys.length;
  }
}

import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { z } from 'zod';
import { AppError, isAppError } from '../../errors/app-error';
import { toProblem } from '../../http/problem';
import {
  assertObjectKey,
  assertObjectPrefix,
  checkUploadRequest,
  type ObjectInfo,
  type ObjectStore,
  type UploadRequest,
  type UploadTarget,
} from '../../ports/object-store';

export interface LocalObjectStoreOptions {
  /** The directory that holds the objects; created on first write. */
  root: string;
  /** HMAC-SHA256 key of the upload tokens. */
  secret: string;
  /** Base URL under which `uploadRouter()` is mounted, e.g. the gateway's public URL. */
  publicUrl: string;
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number;
}

/** What an upload token grants: one key, one content type, up to maxBytes, until expiresAt (ms). */
export interface UploadTokenClaims {
  key: string;
  contentType: string;
  maxBytes: number;
  expiresAt: number;
}

const claimsSchema = z
  .object({ k: z.string(), t: z.string(), m: z.number().int().positive(), e: z.number().int() })
  .strict();

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`jitkb-upload.v1.${payload}`).digest('base64url');
}

/** `base64url(claims).base64url(hmac)`: self-contained, so the upload route needs no storage. */
export function signUploadToken(claims: UploadTokenClaims, secret: string): string {
  const { key: k, contentType: t, maxBytes: m, expiresAt: e } = claims;
  const payload = Buffer.from(JSON.stringify({ k, t, m, e })).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** Throws AppError `forbidden` for a malformed, tampered or expired token. */
export function verifyUploadToken(token: string, secret: string, now: number): UploadTokenClaims {
  const parts = token.split('.');
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature) throw forbidden('malformed upload token');
  // Compare the encoded strings: base64url decoding ignores stray characters, which would let
  // more than one spelling of a signature pass.
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw forbidden('the upload signature is not valid');
  const parsed = claimsSchema.safeParse(parseJson(Buffer.from(payload, 'base64url').toString()));
  if (!parsed.success) throw forbidden('malformed upload token');
  const { k, t, m, e } = parsed.data;
  if (e <= now) throw forbidden('the upload URL has expired');
  return { key: k, contentType: t, maxBytes: m, expiresAt: e };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Only reachable with a valid signature over garbage, i.e. never from our own tokens.
    return undefined;
  }
}

function forbidden(message: string): AppError {
  return new AppError('forbidden', message);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('payload_too_large', `the upload is larger than ${maxBytes} bytes`);
}

/** Media types compare case-insensitively and without whitespace around parameters. */
function normalizeMediaType(value: string): string {
  return value
    .toLowerCase()
    .replace(/\s*;\s*/g, ';')
    .trim();
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function storageError(action: string, error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError('internal', `object store: ${action} failed`, { cause: error });
}

/**
 * The embedded object store: files under `root`, each with its content type in a dot-named JSON
 * file beside it, and HMAC-signed upload URLs served by {@link LocalObjectStore.uploadRouter}.
 */
export class LocalObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly publicUrl: string;
  private readonly now: () => number;

  constructor(private readonly options: LocalObjectStoreOptions) {
    if (options.secret.length < 16) throw new Error('LocalObjectStore: the secret is too short');
    this.root = path.resolve(options.root);
    // Keys start with `tenants/`, so this directory can never be a key's.
    this.tmpDir = path.join(this.root, '.tmp');
    this.publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
  }

  async createUpload(key: string, request: UploadRequest): Promise<UploadTarget> {
    assertObjectKey(key);
    const { contentType, maxBytes, expiresInSeconds } = checkUploadRequest(request);
    const expiresAt = this.now() + expiresInSeconds * 1000;
    const token = signUploadToken({ key, contentType, maxBytes, expiresAt }, this.options.secret);
    return {
      method: 'PUT',
      url: `${this.publicUrl}/uploads/${token}`,
      headers: { 'Content-Type': contentType },
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const file = this.pathOf(key);
    try {
      const stats = await stat(file);
      if (!stats.isFile()) return undefined;
      return { size: stats.size, contentType: await this.readContentType(file) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw storageError('head', error);
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'EISDIR')
        throw AppError.notFound('object');
      throw storageError('get', error);
    }
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const file = this.pathOf(key);
    const tmp = await this.tempFile();
    try {
      await writeFile(tmp, body, { flag: 'wx' });
      await this.commit(tmp, file, contentType);
    } catch (error) {
      await rm(tmp, { force: true });
      throw storageError('put', error);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await rm(file, { force: true });
      await rm(sidecarOf(file), { force: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw storageError('delete', error);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertObjectPrefix(prefix);
    const dir = this.resolveInRoot(prefix.slice(0, -1));
    try {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      const objects = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).length;
      await rm(dir, { recursive: true, force: true });
      return objects;
    } catch (error) {
      if (isMissing(error)) return 0;
      throw storageError('deletePrefix', error);
    }
  }

  /**
   * `PUT /uploads/:token`: stores the body under the token's key when the signature holds (else
   * 403), the Content-Type is the signed one (else 415) and the body fits (else 413, and nothing
   * is written). Mount it before any body parser; errors answer problem+json.
   */
  uploadRouter(): Router {
    const router = express.Router();
    router.put('/uploads/:token', async (req, res) => {
      const claims = verifyUploadToken(req.params.token ?? '', this.options.secret, this.now());
      const type = req.header('content-type') ?? '';
      if (normalizeMediaType(type) !== normalizeMediaType(claims.contentType))
        throw new AppError('unsupported_media_type', `send the body as ${claims.contentType}`);
      const declared = Number(req.header('content-length'));
      if (declared > claims.maxBytes) throw tooLarge(claims.maxBytes);
      await this.receive(req, claims);
      res.status(204).end();
    });
    router.use(uploadErrors);
    return router;
  }

  /** Streams the body to a temp file and moves it into place only once complete and in bounds. */
  private async receive(req: Request, claims: UploadTokenClaims): Promise<void> {
    const file = this.pathOf(claims.key);
    const tmp = await this.tempFile();
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        callback(size > claims.maxBytes ? tooLarge(claims.maxBytes) : null, chunk);
      },
    });
    // Piped rather than handed to pipeline(): pipeline would destroy the request, and with it the
    // socket, before the 413 could be sent.
    const aborted = () => {
      if (!req.complete) limit.destroy(AppError.invalid('the upload was interrupted'));
    };
    req.once('error', aborted);
    req.once('close', aborted);
    req.pipe(limit);
    try {
      await pipeline(limit, createWriteStream(tmp, { flags: 'wx' }));
      if (size === 0) throw AppError.invalid('the upload is empty');
      await this.commit(tmp, file, claims.contentType);
    } catch (error) {
      req.unpipe(limit);
      await rm(tmp, { force: true });
      throw storageError('upload', error);
    } finally {
      req.off('error', aborted);
      req.off('close', aborted);
    }
  }

  /** Moves a finished temp file into place; the content type first, so head never lacks it. */
  private async commit(tmp: string, file: string, contentType: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const meta = `${tmp}.meta`;
    await writeFile(meta, JSON.stringify({ contentType }), { flag: 'wx' });
    await rename(meta, sidecarOf(file));
    await rename(tmp, file);
  }

  private async readContentType(file: string): Promise<string | undefined> {
    try {
      const meta = JSON.parse(await readFile(sidecarOf(file), 'utf8')) as { contentType?: unknown };
      return typeof meta.contentType === 'string' ? meta.contentType : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  private async tempFile(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, randomUUID());
  }

  private pathOf(key: string): string {
    assertObjectKey(key);
    return this.resolveInRoot(key);
  }

  /** The shape checks already exclude traversal; this is the belt to those braces. */
  private resolveInRoot(relative: string): string {
    const resolved = path.resolve(this.root, ...relative.split('/'));
    if (!resolved.startsWith(this.root + path.sep))
      throw AppError.invalid('object key leaves the store');
    return resolved;
  }
}

function sidecarOf(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
}

/**
 * Answers the upload route's own refusals as problem+json; anything else goes on to the app's
 * handler, which logs it once. A refused body is left unread (it may be large), so the connection
 * is closed rather than drained.
 */
const uploadErrors: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (!isAppError(error) || error.code === 'internal') {
    next(error);
    return;
  }
  const { problem } = toProblem(error);
  const correlationId = res.locals.correlationId as string | undefined;
  if (correlationId) problem.correlationId = correlationId;
  res.setHeader('Connection', 'close');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
};

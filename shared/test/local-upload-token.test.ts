import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import {
  LocalObjectStore,
  signUploadToken,
  verifyUploadToken,
  type UploadTokenClaims,
} from '../src/adapters/local/local-object-store';
import { objectKey } from '../src/ports/object-store';

const secret = randomBytes(32).toString('base64url');
const NOW = Date.UTC(2030, 0, 1);
const claims: UploadTokenClaims = {
  key: objectKey('t1', 'p1', 'f1'),
  contentType: 'text/plain',
  maxBytes: 16,
  expiresAt: NOW + 60_000,
};

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('upload token', () => {
  it('verifies its own token and returns the claims', () => {
    expect(verifyUploadToken(signUploadToken(claims, secret), secret, NOW)).toEqual(claims);
  });

  it('refuses a token whose claims were changed after signing', () => {
    const [, signature] = signUploadToken(claims, secret).split('.');
    const forged = Buffer.from(
      JSON.stringify({ k: objectKey('t2', 'p1', 'f1'), t: 'text/plain', m: 16, e: NOW + 60_000 }),
    ).toString('base64url');
    expect(refusal(() => verifyUploadToken(`${forged}.${signature}`, secret, NOW))).toMatchObject({
      code: 'forbidden',
      message: 'the upload signature is not valid',
    });
  });

  it('refuses a changed, extended or foreign signature', () => {
    const token = signUploadToken(claims, secret);
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const foreign = signUploadToken(claims, randomBytes(32).toString('base64url'));
    for (const bad of [flipped, `${token}A`, `${token}=`, foreign, 'abc', `${token}.x`, ''])
      expect(refusal(() => verifyUploadToken(bad, secret, NOW))).toMatchObject({
        code: 'forbidden',
      });
  });

  it('refuses a token at and after its expiry', () => {
    const token = signUploadToken(claims, secret);
    expect(verifyUploadToken(token, secret, claims.expiresAt - 1).key).toBe(claims.key);
    for (const now of [claims.expiresAt, claims.expiresAt + 1])
      expect(refusal(() => verifyUploadToken(token, secret, now))).toMatchObject({
        code: 'forbidden',
        message: 'the upload URL has expired',
      });
  });
});

describe('LocalObjectStore upload route', () => {
  let root: string;
  let clock: number;
  let store: LocalObjectStore;
  let app: express.Express;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'jitkb-uploads-'));
    clock = NOW;
    store = new LocalObjectStore({
      root: path.join(root, 'objects'),
      secret,
      publicUrl: 'http://uploads.test/',
      now: () => clock,
    });
    app = express();
    app.use(store.uploadRouter());
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const uploadPath = async (maxBytes = 16, contentType = 'text/plain') => {
    const target = await store.createUpload(claims.key, { contentType, maxBytes });
    expect(target).toMatchObject({ method: 'PUT', headers: { 'Content-Type': contentType } });
    expect(target.url.startsWith('http://uploads.test/uploads/')).toBe(true);
    expect(target.expiresAt).toBe(new Date(NOW + 15 * 60_000).toISOString());
    return new URL(target.url).pathname;
  };

  /** Nothing under root but empty directories: no object, no sidecar, no temp file. */
  async function storedFiles(): Promise<string[]> {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  }

  it('stores the body and answers 204', async () => {
    const res = await request(app)
      .put(await uploadPath())
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(res.status).toBe(204);
    await expect(store.head(claims.key)).resolves.toEqual({ size: 5, contentType: 'text/plain' });
  });

  it('answers 403 problem+json for a tampered token and writes nothing', async () => {
    const url = await uploadPath();
    const res = await request(app)
      .put(url.replace(/.\.(?=[^.]*$)/, 'x.'))
      .set('Content-Type', 'text/plain')
      .send('hello');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: 403, title: 'Forbidden' });
    expect(await storedFiles()).toEqual([]);
  });

  it('answers 403 once the URL has expired', async () => {
    const url = await uploadPath();
    clock += 15 * 60_000;
    const res = await request(app).put(url).set('Content-Type', 'text/plain').send('late');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toMatchObject({ detail: 'the upload URL has expired' });
    expect(await storedFiles()).toEqual([]);
  });

  it('answers 415 for another Content-Type', async () => {
    const res = await request(app)
      .put(await uploadPath())
      .set('Content-Type', 'text/html')
      .send('<p>x</p>');
    expect(res.status).toBe(415);
    expect(await storedFiles()).toEqual([]);
  });

  it('accepts the signed type spelled with other case and spacing', async () => {
    const res = await request(app)
      .put(await uploadPath(16, 'text/plain; charset=utf-8'))
      .set('Content-Type', 'Text/Plain;charset=UTF-8')
      .send('ok');
    expect(res.status).toBe(204);
  });

  it('answers 413 for a declared length over the maximum and writes nothing', async () => {
    const res = await request(app)
      .put(await uploadPath(16))
      .set('Content-Type', 'text/plain')
      .send('x'.repeat(17));
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(await storedFiles()).toEqual([]);
  });

  it('stops a streamed body once it passes the maximum and writes nothing', async () => {
    const server: Server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const chunks = [Buffer.alloc(10, 'a'), Buffer.alloc(10, 'b'), Buffer.alloc(10, 'c')];
    // A stream body has no Content-Length: the limit must hold while reading.
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const init = {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain' },
      body,
      duplex: 'half' as const,
    };
    const res = await fetch(`http://127.0.0.1:${port}${await uploadPath(16)}`, init);
    expect(res.status).toBe(413);
    expect(await storedFiles()).toEqual([]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 400 for an empty body', async () => {
    const res = await request(app)
      .put(await uploadPath())
      .set('Content-Type', 'text/plain')
      .send('');
    expect(res.status).toBe(400);
    expect(await storedFiles()).toEqual([]);
  });

  it('refuses a validly signed token whose key leaves the store', async () => {
    for (const key of ['../escape', 'tenants/../../escape', '/tmp/escape']) {
      const token = signUploadToken({ ...claims, key }, secret);
      const res = await request(app)
        .put(`/uploads/${token}`)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(res.status).toBe(400);
    }
    expect(await storedFiles()).toEqual([]);
  });

  it('refuses to create an upload for a traversal key', async () => {
    for (const key of ['tenants/t/../../../etc/passwd', '../../x', 'tenants/t/.hidden'])
      await expect(
        store.createUpload(key, { contentType: 'text/plain', maxBytes: 1 }),
      ).rejects.toMatchObject({
        code: 'invalid_input',
      });
  });
});

import { randomUUID } from 'node:crypto';
import { isAppError } from '../errors/app-error';
import {
  objectKey,
  projectPrefix,
  type ObjectStore,
  type UploadTarget,
} from '../ports/object-store';

export interface ObjectStoreFixture {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

export interface ObjectStoreContractOptions {
  /**
   * Whether the server behind a POST upload target enforces the signed policy (size range,
   * Content-Type, expiry). True for S3; false for moto's server, which stores any POST without
   * looking at the policy (moto/s3/responses.py, `_bucket_response_post`). When false, the suite
   * checks the policy document that was signed, which is what S3 enforces, instead of a refusal.
   * PUT targets are always exercised for real.
   */
  postPolicyEnforced?: boolean;
}

const TEXT = 'text/plain';

/** Sends `body` through an upload target the way a browser would; returns the HTTP status. */
export async function uploadThrough(
  target: UploadTarget,
  body: Buffer,
  override: { contentType?: string } = {},
): Promise<number> {
  if (target.method === 'PUT') {
    const headers = { ...target.headers };
    if (override.contentType) headers['Content-Type'] = override.contentType;
    const res = await fetch(target.url, { method: 'PUT', headers, body });
    await res.arrayBuffer();
    return res.status;
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(target.fields ?? {}))
    form.append(name, name === 'Content-Type' ? (override.contentType ?? value) : value);
  // S3 reads every field after `file` as part of the file: the file goes last.
  form.append('file', new Blob([body]), 'upload');
  const res = await fetch(target.url, { method: 'POST', body: form });
  await res.arrayBuffer();
  return res.status;
}

interface SignedPolicy {
  expiration: string;
  conditions: unknown[];
}

/** The policy document of a presigned POST, as S3 will check it. */
export function signedPolicy(target: UploadTarget): SignedPolicy {
  const encoded = target.fields?.Policy;
  if (!encoded) throw new Error('the POST target carries no Policy field');
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as SignedPolicy;
}

async function expectInvalid(operation: Promise<unknown>): Promise<void> {
  const error: unknown = await operation.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(error) && error.code).toBe('invalid_input');
}

/**
 * The ObjectStore contract, run against every adapter: storage round trips, prefix deletion
 * confined to its prefix, key validation, and uploads through the returned target that bind
 * content type, size and expiry.
 */
export function describeObjectStore(
  name: string,
  make: () => Promise<ObjectStoreFixture>,
  options: ObjectStoreContractOptions = {},
): void {
  const postPolicyEnforced = options.postPolicyEnforced ?? true;

  describe(`ObjectStore contract: ${name}`, () => {
    let fixture: ObjectStoreFixture;
    let store: ObjectStore;
    // A tenant per test, so that tests on a shared bucket never see each other's objects.
    let tenant: string;
    const key = (project: string, file: string) => objectKey(tenant, project, file);

    beforeAll(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterAll(async () => {
      await fixture.cleanup();
    });
    beforeEach(() => {
      tenant = `t${randomUUID().slice(0, 8)}`;
    });

    it('stores an object and reports its size and type', async () => {
      await store.put(key('p', 'f'), Buffer.from('hello world'), 'text/markdown');
      await expect(store.head(key('p', 'f'))).resolves.toEqual({
        size: 11,
        contentType: 'text/markdown',
      });
      await expect(store.get(key('p', 'f'))).resolves.toEqual(Buffer.from('hello world'));
    });

    it('replaces an object put twice under one key', async () => {
      await store.put(key('p', 'f'), Buffer.from('first version'), TEXT);
      await store.put(key('p', 'f'), Buffer.from('second'), 'text/csv');
      await expect(store.get(key('p', 'f'))).resolves.toEqual(Buffer.from('second'));
      await expect(store.head(key('p', 'f'))).resolves.toEqual({
        size: 6,
        contentType: 'text/csv',
      });
    });

    it('answers undefined from head and not_found from get for a missing key', async () => {
      await expect(store.head(key('p', 'missing'))).resolves.toBeUndefined();
      await expect(store.get(key('p', 'missing'))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('deletes an object, and deleting it again is not an error', async () => {
      await store.put(key('p', 'f'), Buffer.from('x'), TEXT);
      await store.delete(key('p', 'f'));
      await expect(store.head(key('p', 'f'))).resolves.toBeUndefined();
      await expect(store.delete(key('p', 'f'))).resolves.toBeUndefined();
    });

    it('deletes every object under a prefix and nothing beside it', async () => {
      await Promise.all(
        ['a', 'b', 'c'].map((file) => store.put(key('p1', file), Buffer.from(file), TEXT)),
      );
      await store.put(`${projectPrefix(tenant, 'p1')}extracted/a`, Buffer.from('n'), TEXT);
      // p10 shares the text "p1" but not the prefix "p1/".
      await store.put(key('p10', 'a'), Buffer.from('keep'), TEXT);
      await expect(store.deletePrefix(projectPrefix(tenant, 'p1'))).resolves.toBe(4);
      await expect(store.head(key('p1', 'a'))).resolves.toBeUndefined();
      await expect(
        store.head(`${projectPrefix(tenant, 'p1')}extracted/a`),
      ).resolves.toBeUndefined();
      await expect(store.get(key('p10', 'a'))).resolves.toEqual(Buffer.from('keep'));
      await expect(store.deletePrefix(projectPrefix(tenant, 'p1'))).resolves.toBe(0);
    });

    it('refuses keys and prefixes outside the tenants/ shape', async () => {
      for (const bad of ['', '/etc/passwd', '../x', 'tenants/../../x', 'tenants/t/./f', 'x/y'])
        await expectInvalid(store.put(bad, Buffer.from('x'), TEXT));
      await expectInvalid(store.head('tenants/t/../../etc/passwd'));
      await expectInvalid(store.createUpload('tenants\\t\\f', { contentType: TEXT, maxBytes: 9 }));
      for (const bad of ['', 'tenants/', `tenants/${tenant}`, '../'])
        await expectInvalid(store.deletePrefix(bad));
    });

    it('refuses an upload request with a bad type, size or expiry', async () => {
      const k = key('p', 'f');
      await expectInvalid(
        store.createUpload(k, { contentType: 'text/plain\r\nX: y', maxBytes: 9 }),
      );
      await expectInvalid(store.createUpload(k, { contentType: TEXT, maxBytes: 0 }));
      await expectInvalid(
        store.createUpload(k, { contentType: TEXT, maxBytes: 9, expiresInSeconds: 0 }),
      );
    });

    it('accepts an upload through the returned target and stores its size and type', async () => {
      const before = Date.now();
      const target = await store.createUpload(key('p', 'f'), {
        contentType: 'text/csv',
        maxBytes: 100,
        expiresInSeconds: 120,
      });
      const expiresAt = Date.parse(target.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 119_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 121_000);
      const status = await uploadThrough(target, Buffer.from('a,b\n1,2\n'));
      expect(status).toBeGreaterThanOrEqual(200);
      expect(status).toBeLessThan(300);
      await expect(store.head(key('p', 'f'))).resolves.toEqual({
        size: 8,
        contentType: 'text/csv',
      });
      await expect(store.get(key('p', 'f'))).resolves.toEqual(Buffer.from('a,b\n1,2\n'));
    });

    it('refuses an upload over the maximum size and stores nothing', async () => {
      const target = await store.createUpload(key('p', 'f'), { contentType: TEXT, maxBytes: 16 });
      if (target.method === 'POST')
        expect(signedPolicy(target).conditions).toContainEqual(['content-length-range', 1, 16]);
      if (target.method === 'POST' && !postPolicyEnforced) return;
      const status = await uploadThrough(target, Buffer.alloc(17, 'x'));
      expect(status).toBeGreaterThanOrEqual(400);
      await expect(store.head(key('p', 'f'))).resolves.toBeUndefined();
    });

    it('refuses an upload with another content type', async () => {
      const target = await store.createUpload(key('p', 'f'), { contentType: TEXT, maxBytes: 64 });
      if (target.method === 'POST') {
        expect(target.fields?.['Content-Type']).toBe(TEXT);
        expect(signedPolicy(target).conditions).toContainEqual(['eq', '$Content-Type', TEXT]);
      }
      if (target.method === 'POST' && !postPolicyEnforced) return;
      const status = await uploadThrough(target, Buffer.from('<p>hi</p>'), {
        contentType: 'text/html',
      });
      expect(status).toBeGreaterThanOrEqual(400);
      await expect(store.head(key('p', 'f'))).resolves.toBeUndefined();
    });

    it('refuses an upload after its URL has expired', async () => {
      const target = await store.createUpload(key('p', 'f'), {
        contentType: TEXT,
        maxBytes: 64,
        expiresInSeconds: 1,
      });
      if (target.method === 'POST') {
        // The policy's expiration has whole seconds and its own clock reading: within a second.
        const drift = Date.parse(signedPolicy(target).expiration) - Date.parse(target.expiresAt);
        expect(Math.abs(drift)).toBeLessThanOrEqual(1000);
      }
      if (target.method === 'POST' && !postPolicyEnforced) return;
      await new Promise((resolve) =>
        setTimeout(resolve, Date.parse(target.expiresAt) - Date.now() + 50),
      );
      expect(await uploadThrough(target, Buffer.from('late'))).toBeGreaterThanOrEqual(400);
      await expect(store.head(key('p', 'f'))).resolves.toBeUndefined();
    });
  });
}

import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  GetBucketCorsCommand,
  GetBucketLocationCommand,
  GetPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { testAwsEndpoint, uniquePrefix } from '@jitkb/shared/testing';
import { provisionBucket } from '../src/adapters/aws/provision/bucket';
import { S3ObjectStore, s3Error } from '../src/adapters/aws/s3-object-store';
import { describeObjectStore, uploadThrough } from '../src/contracts/object-store.contract';
import { objectKey, projectPrefix } from '../src/ports/object-store';

function s3Client(region = 'us-east-1', endpoint = testAwsEndpoint()): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
}

async function newBucket(client: S3Client, label: string): Promise<string> {
  const bucket = uniquePrefix(label);
  await provisionBucket({ s3: client, bucket, corsOrigins: ['http://localhost:8080'] });
  return bucket;
}

/** Empties and deletes a test bucket; straight through the SDK, as the store deletes per tenant. */
async function dropBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (page.Contents ?? []).map(({ Key }) => ({ Key }));
    if (objects.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

// moto's server stores any presigned POST without checking its policy, so for POST targets the
// contract checks the signed policy document (what S3 enforces) rather than a refusal.
describeObjectStore(
  's3 on moto',
  async () => {
    const client = s3Client();
    const bucket = await newBucket(client, 'objects');
    const store = new S3ObjectStore({ client, bucket });
    return {
      store,
      async cleanup() {
        await dropBucket(client, bucket);
        client.destroy();
      },
    };
  },
  { postPolicyEnforced: false },
);

describe('S3ObjectStore on moto', () => {
  const client = s3Client();
  let bucket: string;
  let store: S3ObjectStore;

  beforeAll(async () => {
    bucket = await newBucket(client, 'paging');
    store = new S3ObjectStore({ client, bucket });
  });
  afterAll(async () => {
    await dropBucket(client, bucket);
    client.destroy();
  });

  it('deletes a prefix that spans more than one list page', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => objectKey('t1', 'p1', `f${i}`));
    for (let i = 0; i < keys.length; i += 100)
      await Promise.all(
        keys.slice(i, i + 100).map((k) => store.put(k, Buffer.from('x'), 'text/plain')),
      );
    await store.put(objectKey('t1', 'p2', 'f'), Buffer.from('keep'), 'text/plain');
    await expect(store.deletePrefix(projectPrefix('t1', 'p1'))).resolves.toBe(1005);
    await expect(store.head(keys[1004]!)).resolves.toBeUndefined();
    await expect(store.head(objectKey('t1', 'p2', 'f'))).resolves.toEqual({
      size: 4,
      contentType: 'text/plain',
    });
  });

  it('signs upload URLs with the presign client, so they can name a public host', async () => {
    const presignClient = s3Client('us-east-1', 'http://uploads.example.test:9000');
    const publicStore = new S3ObjectStore({ client, bucket, presignClient });
    const target = await publicStore.createUpload(objectKey('t1', 'p1', 'f'), {
      contentType: 'text/plain',
      maxBytes: 10,
    });
    expect(target.method).toBe('POST');
    expect(target.url).toBe(`http://uploads.example.test:9000/${bucket}`);
    presignClient.destroy();
  });

  // A canary: when moto starts enforcing POST policies, the contract above should run with
  // postPolicyEnforced: true, and this test tells us so by failing.
  it('is stored by moto even when over the signed size (moto does not enforce POST policies)', async () => {
    const k = objectKey('t2', 'p', 'f');
    const target = await store.createUpload(k, { contentType: 'text/plain', maxBytes: 4 });
    expect(await uploadThrough(target, Buffer.from('much too long'))).toBe(204);
    await expect(store.head(k)).resolves.toMatchObject({ size: 13 });
  });

  it('wraps a failing call to a missing bucket in AppError', async () => {
    const missing = new S3ObjectStore({ client, bucket: uniquePrefix('missing') });
    await expect(missing.get(objectKey('t', 'p', 'f'))).rejects.toMatchObject({
      name: 'AppError',
      code: 'not_found',
    });
    await expect(
      missing.put(objectKey('t', 'p', 'f'), Buffer.from('x'), 'text/plain'),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('reports an unreachable endpoint as retryable', async () => {
    const offline = s3Client('us-east-1', 'http://127.0.0.1:9');
    const store2 = new S3ObjectStore({ client: offline, bucket });
    await expect(
      store2.put(objectKey('t', 'p', 'f'), Buffer.from('x'), 'text/plain'),
    ).rejects.toMatchObject({
      code: 'unavailable',
      retryable: true,
    });
    offline.destroy();
  });
});

describe('s3Error', () => {
  const sdkError = (name: string, status: number) =>
    new S3ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
    });

  it('maps throttling and 5xx to retryable unavailable', () => {
    for (const error of [sdkError('SlowDown', 503), sdkError('InternalError', 500)])
      expect(s3Error('get', error)).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('maps a refused call to a non-retryable internal error that keeps its cause', () => {
    const cause = sdkError('AccessDenied', 403);
    expect(s3Error('put', cause)).toMatchObject({ code: 'internal', retryable: false, cause });
  });
});

describe('provisionBucket', () => {
  it('creates a bucket once, with CORS for uploads and public access blocked', async () => {
    const client = s3Client();
    const bucket = await newBucket(client, 'prov');
    await expect(
      provisionBucket({ s3: client, bucket, corsOrigins: ['https://app.example.com'] }),
    ).resolves.toBeUndefined();
    const cors = await client.send(new GetBucketCorsCommand({ Bucket: bucket }));
    expect(cors.CORSRules).toEqual([
      expect.objectContaining({
        AllowedOrigins: ['https://app.example.com'],
        AllowedMethods: expect.arrayContaining(['POST', 'PUT']) as unknown,
      }),
    ]);
    const block = await client.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(block.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('creates the bucket in the client region outside us-east-1', async () => {
    const client = s3Client('eu-west-1');
    const bucket = await newBucket(client, 'eu');
    await provisionBucket({ s3: client, bucket });
    const location = await client.send(new GetBucketLocationCommand({ Bucket: bucket }));
    expect(location.LocationConstraint).toBe('eu-west-1');
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
});

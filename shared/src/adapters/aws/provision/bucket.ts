import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutPublicAccessBlockCommand,
  type CreateBucketCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { s3Error } from '../s3-object-store';

export interface ProvisionBucketOptions {
  s3: S3Client;
  bucket: string;
  /** Origins whose pages may upload straight to the bucket; defaults to any origin. */
  corsOrigins?: string[];
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** us-east-1 is the one region where CreateBucket must not name a location constraint. */
async function createBucketInput(s3: S3Client, bucket: string): Promise<CreateBucketCommandInput> {
  const region = await s3.config.region();
  if (region === 'us-east-1') return { Bucket: bucket };
  return {
    Bucket: bucket,
    CreateBucketConfiguration: {
      // The SDK types the constraint as the list of regions it knew when it was built.
      LocationConstraint: region as BucketLocationConstraint,
    },
  };
}

/**
 * Creates the upload bucket if it is not there yet (idempotent), allows browser uploads through
 * presigned POST or PUT from `corsOrigins`, and blocks public access. Safe to run on every deploy.
 */
export async function provisionBucket(opts: ProvisionBucketOptions): Promise<void> {
  const { s3, bucket } = opts;
  try {
    await s3.send(new CreateBucketCommand(await createBucketInput(s3, bucket)));
  } catch (error) {
    // Ours already: nothing to do. `BucketAlreadyExists` (someone else's name) still throws.
    if (errorName(error) !== 'BucketAlreadyOwnedByYou') throw s3Error('create bucket', error);
  }
  try {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              // Uploads are authorised by their signature, not by the origin; the rule only lets
              // the browser read the answer. No GET: objects are read by the services.
              AllowedOrigins: opts.corsOrigins?.length ? opts.corsOrigins : ['*'],
              AllowedMethods: ['POST', 'PUT'],
              AllowedHeaders: ['*'],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    );
  } catch (error) {
    throw s3Error('put bucket CORS', error);
  }
  await blockPublicAccess(s3, bucket);
}

async function blockPublicAccess(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
  } catch (error) {
    // Some S3-compatible stores (MinIO, older emulators) do not implement the call; their buckets
    // are private by default, so there is nothing to block. Any other failure is real.
    if (errorName(error) === 'NotImplemented' || httpStatus(error) === 501) return;
    throw s3Error('put public access block', error);
  }
}

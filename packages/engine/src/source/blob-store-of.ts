import { join } from 'node:path';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { EngineConfig } from '../types.js';
import { createFsBlobStore, type BlobStore } from './blob-store.js';
import { createS3BlobStore } from './s3-blob-store.js';

export type { BlobStore } from './blob-store.js';

/**
 * The engine's blob store from its config: the S3 bucket of HANGAR_BLOB_URL, or `<dataDir>/blobs`.
 * The bucket is the engine's own storage, so it is reached with the engine's own identity (its
 * configured key, or the AWS SDK's default chain) — never with a provider's credentials, which
 * belong to a team's account and exist only inside a deployment.
 */
export function createBlobStore(config: EngineConfig): BlobStore {
  return createBlobStores(config).blobs;
}

/**
 * The blob store and, with S3, the shared store of built code packages (keyed by manifest id), so
 * a package one engine built is downloaded by the others instead of built again. On the
 * filesystem, packages stay the engine's own cache under `<dataDir>/packages`.
 */
export function createBlobStores(config: EngineConfig): { blobs: BlobStore; packages?: BlobStore } {
  const b = config.blobs;
  if (!b) return { blobs: createFsBlobStore(join(config.dataDir, 'blobs')) };
  const client = blobClient(config, b);
  return {
    blobs: createS3BlobStore({ client, bucket: b.bucket, prefix: b.prefix }),
    packages: createS3BlobStore({ client, bucket: b.bucket, prefix: b.prefix, namespace: 'packages' }),
  };
}

function blobClient(config: EngineConfig, b: NonNullable<EngineConfig['blobs']>): S3Client {
  return new S3Client({
    region: config.aws.region,
    ...(b.endpoint ? { endpoint: b.endpoint, forcePathStyle: true } : {}),
    ...(config.aws.credentials ? { credentials: { ...config.aws.credentials } } : {}),
  });
}

/**
 * For `hangar-engine check`: can the engine's identity reach the blob bucket? HeadBucket (which S3
 * authorises as s3:ListBucket) tells a missing bucket (404) from a refused one (403); then a HEAD
 * of an object that does not exist must answer "not found", not "access denied". Changes nothing.
 */
export async function probeBlobBucket(config: EngineConfig): Promise<void> {
  const b = config.blobs;
  if (!b) return;
  const client = blobClient(config, b);
  try {
    await client.send(new HeadBucketCommand({ Bucket: b.bucket }));
    await createS3BlobStore({ client, bucket: b.bucket, prefix: b.prefix }).has('0'.repeat(64));
  } finally {
    client.destroy();
  }
}

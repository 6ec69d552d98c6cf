import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
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
  const b = config.blobs;
  if (!b) return createFsBlobStore(join(config.dataDir, 'blobs'));
  const client = new S3Client({
    region: config.aws.region,
    ...(b.endpoint ? { endpoint: b.endpoint, forcePathStyle: true } : {}),
    ...(config.aws.credentials ? { credentials: { ...config.aws.credentials } } : {}),
  });
  return createS3BlobStore({ client, bucket: b.bucket, prefix: b.prefix });
}

import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../sdk/aws-clients.js';
import type { ComponentContext } from '../sdk/component.js';

/** The S3 client the website component calls. Path-style against the local cloud (`<bucket>.localhost` need not resolve). */
export function createWebsiteClient(ctx: Pick<ComponentContext, 'credentials' | 'region' | 'endpoint'>): S3Client {
  return new S3Client({ ...awsClientConfig(ctx), forcePathStyle: ctx.endpoint !== undefined });
}

/** Helpers for the S3 tests: a cloud with S3 only, and S3 clients path-style or virtual-hosted. */
import { Agent } from 'node:http';
import type { LookupFunction } from 'node:net';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import type { Creds } from '../test-support.js';
import { s3Service } from './index.js';

export async function startS3Cloud(dataDir?: string): Promise<{ cloud: LocalCloud; root: Creds }> {
  const cloud = await startLocalCloud({ port: 0, dataDir, services: [s3Service], allowClockControl: true });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  return { cloud, root };
}

export function s3(endpoint: string, c: Creds, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', credentials: c, forcePathStyle: true, maxAttempts: 1, ...extra });
}

/** Every host name resolves to 127.0.0.1, so `<bucket>.s3.localhost` reaches the cloud. */
const loopback: LookupFunction = (_host, options, cb) => {
  if (typeof options === 'object' && options.all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

/** A virtual-hosted client: endpoint http://s3.localhost:<port>, buckets in the Host name. */
export function s3VirtualHosted(port: number, c: Creds, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: `http://s3.localhost:${port}`, region: 'us-east-1', credentials: c, forcePathStyle: false, maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup: loopback } as ConstructorParameters<typeof Agent>[0]) }),
    ...extra,
  });
}

export async function text(body: { transformToString(): Promise<string> } | undefined): Promise<string> {
  if (!body) throw new Error('no body');
  return body.transformToString();
}

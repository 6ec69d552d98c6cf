import { createHash } from 'node:crypto';
import type { InstanceRef } from '../sdk/component.js';

/**
 * The bucket of an instance, the same every time: `hangar-<app>-<stage>-<name>-<hash>`, in S3's
 * rules for bucket names (3-63 characters, lowercase letters, digits and `-`, starting and ending
 * with a letter or digit). The hash of the immutable instance id keeps two instances with the same
 * names (in two organisations) from ever sharing a bucket; bucket names are global across accounts.
 */
export function websiteBucketName(instance: Pick<InstanceRef, 'app' | 'stage' | 'name' | 'instanceId'>): string {
  const hash = createHash('sha256').update(instance.instanceId).digest('hex').slice(0, 8);
  const readable = ['hangar', instance.app, instance.stage, instance.name]
    .map((part) => part.toLowerCase().replace(/[^a-z0-9-]+/g, '-'))
    .join('-')
    .replace(/-{2,}/g, '-');
  return `${readable.slice(0, 63 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** S3 website endpoints: a handful of older regions use `s3-website-<region>`, the rest `s3-website.<region>`. */
const dashRegions = new Set(['us-east-1', 'us-west-1', 'us-west-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'eu-west-1', 'sa-east-1', 'us-gov-west-1']);

/**
 * The site's URL. On AWS: the bucket's website endpoint (HTTP only). Against the local cloud:
 * `http://<bucket>.s3-website.localhost:<port>/`, the same shape, so absolute paths (`/assets/…`)
 * resolve; browsers and curl send `*.localhost` to the loopback address themselves.
 */
export function websiteUrl(bucket: string, region: string, cloudEndpoint: string | undefined): string {
  if (cloudEndpoint) {
    const u = new URL(cloudEndpoint);
    return `${u.protocol}//${bucket}.s3-website.localhost${u.port ? `:${u.port}` : ''}/`;
  }
  const host = dashRegions.has(region) ? `s3-website-${region}` : `s3-website.${region}`;
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `http://${bucket}.${host}.${domain}/`;
}

export function bucketArn(bucket: string, region: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:s3:::${bucket}`;
}

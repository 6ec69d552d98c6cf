import {
  CreateBucketCommand, DeleteBucketCommand, DeleteBucketPolicyCommand, DeleteBucketWebsiteCommand, DeleteObjectsCommand,
  HeadBucketCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutBucketTaggingCommand, PutBucketWebsiteCommand,
  PutObjectCommand, PutPublicAccessBlockCommand, type BucketLocationConstraint, type S3Client,
} from '@aws-sdk/client-s3';
import { HangarError } from '@hangar/core';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { Component, ComponentContext, DeployResult, InstanceRef, PermissionStatement } from '../sdk/component.js';
import { instanceTags } from '../sdk/names.js';
import { createWebsiteClient } from './clients.js';
import { siteFiles, type SiteFile } from './files.js';
import { websiteInputs, type WebsiteInputs } from './inputs.js';
import { bucketArn, websiteBucketName, websiteUrl } from './names.js';
import { websiteStateSchema, type WebsiteState } from './state.js';

export interface WebsiteDeps {
  /** Builds the S3 client for a context (default: SDK v3 from ctx's credentials, region and endpoint). */
  readonly createClient?: (ctx: ComponentContext) => S3Client;
  /** Uploads in flight at once (default 8). */
  readonly uploadConcurrency?: number;
}

export const websitePermissions = [
  's3:CreateBucket', 's3:ListBucket', 's3:PutBucketTagging', 's3:PutBucketPublicAccessBlock', 's3:PutBucketPolicy',
  's3:DeleteBucketPolicy', 's3:PutBucketWebsite', 's3:DeleteBucketWebsite', 's3:PutObject', 's3:DeleteObject', 's3:DeleteBucket',
] as const;

/**
 * A deployment of this instance may call those actions on its own bucket and its objects only
 * (the bucket name derives from the app, stage and instance). s3:PutObject and s3:DeleteObject
 * are object actions (`<bucket>/*`); the rest are bucket actions.
 */
export function websiteStatements(instance: InstanceRef): PermissionStatement[] {
  const bucket = `arn:aws*:s3:::${websiteBucketName(instance)}`;
  const objectActions = new Set(['s3:PutObject', 's3:DeleteObject']);
  return [
    { actions: websitePermissions.filter((a) => !objectActions.has(a)), resources: [bucket] },
    { actions: [...objectActions], resources: [`${bucket}/*`] },
  ];
}

/** S3's limit on keys per DeleteObjects call. */
const deleteBatch = 1000;

/**
 * The `website` component: an S3 bucket serving a folder as a static site. Files are uploaded
 * with their content type and cache header, only when their content hash changed; files gone
 * from the folder are deleted. `private: true` keeps the bucket private (for CloudFront).
 */
export function createWebsite(deps: WebsiteDeps = {}): Component<WebsiteInputs> {
  const createClient = deps.createClient ?? createWebsiteClient;
  const concurrency = deps.uploadConcurrency ?? 8;

  async function withClient<T>(ctx: ComponentContext, body: (s3: S3Client) => Promise<T>): Promise<T> {
    const s3 = createClient(ctx);
    try {
      return await body(s3);
    } finally {
      if (!deps.createClient) s3.destroy();
    }
  }

  return {
    name: 'website',
    description: 'A static website: an S3 bucket serving a folder, with content types, cache headers and only changed files uploaded.',
    inputs: websiteInputs,
    permissions: websiteStatements,

    checkSource(inputs: WebsiteInputs, paths: readonly string[]): void {
      const have = new Set(paths);
      const wanted: [string, string][] = [['indexDocument', inputs.indexDocument]];
      if (inputs.errorDocument !== undefined) wanted.push(['errorDocument', inputs.errorDocument]);
      for (const [field, key] of wanted) {
        if (!have.has(key)) {
          throw new HangarError('WEBSITE_DOCUMENT_MISSING', `inputs.${field} is ${key}, but the site's files have no ${key}: add it to the folder uploaded (inputs.src, or its dist after the build hook), or set ${field} to a file that exists.`, { details: { field, key } });
        }
      }
    },

    async deploy(inputs: WebsiteInputs, ctx: ComponentContext): Promise<DeployResult> {
      const source = ctx.source;
      if (!source) {
        throw new HangarError('COMPONENT_SOURCE_MISSING', 'website needs its files: set inputs.src to the folder holding your site (or { src, hook, dist } to build it first) and deploy again.');
      }
      const previous = readState(ctx.state);
      const bucket = previous.bucket?.name ?? websiteBucketName(ctx.instance);
      return withClient(ctx, async (s3) => {
        let state: WebsiteState = { ...previous, bucket: { name: bucket, region: ctx.region } };
        // One look per deploy: a bucket deleted behind Hangar's back is recreated with every file.
        if (!(await bucketExists(s3, bucket))) {
          if (previous.bucket) ctx.log.warn(`Bucket ${bucket} is gone from AWS; creating it again and uploading every file`);
          await createBucket(s3, bucket, ctx);
          state = { bucket: { name: bucket, region: ctx.region }, files: {} };
        }

        const access = inputs.private ? 'private' : 'public';
        if (state.access !== access) {
          await setAccess(s3, bucket, access, ctx.region);
          ctx.log.info(access === 'public'
            ? `Bucket ${bucket} is publicly readable (public-read policy; its Public Access Block allows that policy)`
            : `Bucket ${bucket} is private (Public Access Block fully on, no bucket policy)`);
          state = { ...state, access };
        }

        const website = inputs.private ? undefined : { indexDocument: inputs.indexDocument, errorDocument: inputs.spa ? inputs.indexDocument : inputs.errorDocument };
        if (!sameWebsite(state.website, website)) {
          if (website) {
            await awsCall('s3:PutBucketWebsite', bucket, () => s3.send(new PutBucketWebsiteCommand({
              Bucket: bucket,
              WebsiteConfiguration: { IndexDocument: { Suffix: website.indexDocument }, ...(website.errorDocument ? { ErrorDocument: { Key: website.errorDocument } } : {}) },
            }), withSignal(ctx)));
          } else if (state.website) {
            await awsCall('s3:DeleteBucketWebsite', bucket, () => s3.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }), withSignal(ctx)));
          }
          const { website: _dropped, ...rest } = state;
          state = website ? { ...rest, website: stripUndefined(website) } : rest;
        }

        if (state.manifestId !== source.manifestId) {
          const files = siteFiles(await source.zip());
          const changed = files.filter((f) => state.files[f.key] !== f.hash);
          const keep = new Set(files.map((f) => f.key));
          const gone = Object.keys(state.files).filter((k) => !keep.has(k));
          await uploadAll(s3, bucket, changed, concurrency, ctx);
          await deleteKeys(s3, bucket, gone, ctx);
          state = { ...state, files: Object.fromEntries(files.map((f) => [f.key, f.hash])), manifestId: source.manifestId };
          ctx.log.info(`Uploaded ${changed.length} changed file${changed.length === 1 ? '' : 's'}, deleted ${gone.length}, ${files.length - changed.length} unchanged`);
        } else {
          ctx.log.info('No changes: the bucket and its files are up to date');
        }

        return { outputs: outputsOf(inputs, bucket, ctx), state: state as Record<string, unknown> };
      });
    },

    async remove(ctx: ComponentContext): Promise<void> {
      const previous = readState(ctx.state);
      const bucket = previous.bucket?.name ?? websiteBucketName(ctx.instance);
      await withClient(ctx, async (s3) => {
        if (!(await bucketExists(s3, bucket))) {
          ctx.log.info('Nothing to remove');
          return;
        }
        let removed = 0;
        for (;;) {
          const page = await awsCall('s3:ListBucket', bucket, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: deleteBatch }), withSignal(ctx)));
          const keys = (page.Contents ?? []).map((o) => o.Key!).filter(Boolean);
          if (keys.length === 0) break;
          await deleteKeys(s3, bucket, keys, ctx);
          removed += keys.length;
        }
        await awsCall('s3:DeleteBucket', bucket, async () => {
          try {
            await s3.send(new DeleteBucketCommand({ Bucket: bucket }), withSignal(ctx));
          } catch (e) {
            if (!isAwsError(e, 'NoSuchBucket')) throw e;
          }
        });
        ctx.log.info(`Removed bucket ${bucket} and its ${removed} file${removed === 1 ? '' : 's'}`);
      });
    },
  };
}

const withSignal = (ctx: ComponentContext) => (ctx.signal ? { abortSignal: ctx.signal } : {});

async function bucketExists(s3: S3Client, bucket: string): Promise<boolean> {
  return awsCall('s3:ListBucket', bucket, async () => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (e) {
      // HeadBucket has no body: a missing bucket is a bare 404 the SDK names NotFound.
      if (isAwsError(e, 'NotFound', 'NoSuchBucket')) return false;
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403) {
        // A bare 403 (no body, so the SDK may not name it): bucket names are global, so either another account owns this name, or the
        // deployment's role (or session policy) lacks s3:ListBucket on it.
        throw new HangarError('COMPONENT_AWS_ACCESS_DENIED', `s3:ListBucket (HeadBucket) on ${bucket} was refused (403). Either another AWS account owns a bucket of this name (bucket names are global: rename the instance or app), or the provider role lacks s3:ListBucket on arn:aws:s3:::${bucket}.`, {
          details: { action: 's3:ListBucket', resource: bucket, awsCode: 'Forbidden' },
        });
      }
      throw e;
    }
  });
}

async function createBucket(s3: S3Client, bucket: string, ctx: ComponentContext): Promise<void> {
  await awsCall('s3:CreateBucket', bucket, () => s3.send(new CreateBucketCommand({
    Bucket: bucket,
    // us-east-1 is the default location and refuses to be named as a constraint.
    ...(ctx.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: ctx.region as BucketLocationConstraint } }),
  }), withSignal(ctx)));
  const tags = instanceTags(ctx.instance);
  await awsCall('s3:PutBucketTagging', bucket, () => s3.send(new PutBucketTaggingCommand({
    Bucket: bucket, Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
  }), withSignal(ctx)));
  ctx.log.info(`Created bucket ${bucket}`);
}

/** The public-read statement: anyone may GET the site's objects, nothing else. */
export function publicReadPolicy(bucket: string, region: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'HangarWebsitePublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `${bucketArn(bucket, region)}/*` }],
  });
}

/**
 * Public: this bucket's Public Access Block keeps ACLs blocked and only lets a public policy in
 * (BlockPublicPolicy and RestrictPublicBuckets off), then the public-read policy is put. Private:
 * the policy is deleted and every block is on again. An account-level block still wins over both.
 */
async function setAccess(s3: S3Client, bucket: string, access: 'public' | 'private', region: string): Promise<void> {
  if (access === 'public') {
    await awsCall('s3:PutBucketPublicAccessBlock', bucket, () => s3.send(new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    })));
    await awsCall('s3:PutBucketPolicy', bucket, () => s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: publicReadPolicy(bucket, region) })));
    return;
  }
  await awsCall('s3:DeleteBucketPolicy', bucket, () => s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })));
  await awsCall('s3:PutBucketPublicAccessBlock', bucket, () => s3.send(new PutPublicAccessBlockCommand({
    Bucket: bucket,
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
  })));
}

async function uploadAll(s3: S3Client, bucket: string, files: readonly SiteFile[], concurrency: number, ctx: ComponentContext): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      await awsCall('s3:PutObject', `${bucket}/${f.key}`, () => s3.send(new PutObjectCommand({
        Bucket: bucket, Key: f.key, Body: f.body, ContentType: f.contentType, CacheControl: f.cacheControl,
      }), withSignal(ctx)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}

async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[], ctx: ComponentContext): Promise<void> {
  for (let i = 0; i < keys.length; i += deleteBatch) {
    const batch = keys.slice(i, i + deleteBatch);
    const out = await awsCall('s3:DeleteObject', bucket, () => s3.send(new DeleteObjectsCommand({
      Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
    }), withSignal(ctx)));
    const failed = out.Errors?.[0];
    if (failed) {
      throw new HangarError('COMPONENT_AWS_ERROR', `s3:DeleteObject on ${bucket}/${failed.Key ?? '?'} failed (AWS ${failed.Code ?? 'error'}): ${failed.Message ?? ''}`, {
        details: { action: 's3:DeleteObject', resource: `${bucket}/${failed.Key ?? ''}`, awsCode: failed.Code },
      });
    }
  }
}

function sameWebsite(a: WebsiteState['website'], b: { indexDocument: string; errorDocument: string | undefined } | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.indexDocument === b.indexDocument && a.errorDocument === b.errorDocument;
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function readState(raw: Readonly<Record<string, unknown>>): WebsiteState {
  const parsed = websiteStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HangarError('INTERNAL', `The stored state of this website instance is not in the expected shape: ${parsed.error.issues[0]?.message ?? 'unknown'}.`);
  }
  return parsed.data;
}

function outputsOf(inputs: WebsiteInputs, bucket: string, ctx: ComponentContext): Record<string, unknown> {
  return {
    ...(inputs.private ? {} : { url: websiteUrl(bucket, ctx.region, ctx.endpoint) }),
    bucket,
    arn: bucketArn(bucket, ctx.region),
  };
}

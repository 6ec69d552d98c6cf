/**
 * The dependencies layer of a Lambda-backed component: `node_modules` goes into a Lambda layer
 * version (content under `nodejs/node_modules/`, which Node's runtime resolves at
 * `/opt/nodejs/node_modules`), published only when the hash of its manifest entries changes; the
 * function package holds the app's own code. Versions the function no longer uses are deleted
 * once the new configuration is live.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, type BucketLocationConstraint, type S3Client } from '@aws-sdk/client-s3';
import { DeleteLayerVersionCommand, ListLayerVersionsCommand, PublishLayerVersionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HangarError } from '@hangar/core';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { ComponentLogger, ComponentSource, InstanceRef, SourceFile, SourcePart } from '../sdk/component.js';

/** Lambda's limits: a zip uploaded directly (ZipFile) and the function plus its layers unzipped. */
export const LAMBDA_LIMITS = { directUploadBytes: 50 * 1024 * 1024, unzippedBytes: 250 * 1024 * 1024 } as const;

/**
 * Zips over this size go through the deployment bucket even though Lambda would take them inline.
 * Inline, a zip is one base64 field of a JSON body: the SDK holds it as bytes, as base64 (+33 %)
 * and as the serialised body at once, and the receiving end parses and decodes all of it; through
 * S3 the engine streams it from its file (PutObject) and Lambda gets a bucket and key. Staging
 * costs three small calls (CreateBucket, PutObject, DeleteObject), so it pays only for large
 * packages: 5 MiB keeps every app-code package of a one-file change (kilobytes) inline, and sends
 * the node_modules layer of any app with real dependencies through S3, as SAM and the Serverless
 * Framework send every package. It bounds what an inline upload holds to ~5 MB of zip.
 */
export const STAGING_BYTES = 5 * 1024 * 1024;

export type LambdaLimits = {
  readonly directUploadBytes: number;
  readonly unzippedBytes: number;
  /** Zips over this go through the deployment bucket when there is one (default STAGING_BYTES). */
  readonly stagingBytes?: number;
};

/** Where a zip goes in the Lambda call: inline, or an S3 object Lambda copies (deleted afterwards). */
export type CodeLocation = { readonly ZipFile: Uint8Array } | { readonly S3Bucket: string; readonly S3Key: string };

/**
 * The deployment bucket of an app's stage in a region, for zips over the direct-upload limit:
 * `hangar-deploy-<region>-<16 hex of sha256(org/app/stage)>` (S3's bucket-name rules; names are
 * global, the hash keeps two organisations' apps apart).
 */
export function deploymentBucketName(instance: Pick<InstanceRef, 'orgId' | 'appId' | 'stage'>, region: string): string {
  const hash = createHash('sha256').update(`${instance.orgId}/${instance.appId}/${instance.stage}`).digest('hex').slice(0, 16);
  return `hangar-deploy-${region}-${hash}`;
}

/** Staging through S3: the bucket, and a client made on first use. Undefined: zips over the limit fail naming it. */
export interface S3Staging {
  readonly bucket: string;
  readonly region: string;
  readonly s3: () => S3Client;
  /** Key prefix of this instance's objects. */
  readonly prefix: string;
}

/** The layer version in use, recorded in the state. */
export interface LayerRef {
  readonly name: string;
  /** The layer version ARN (`arn:aws:lambda:<region>:<account>:layer:<name>:<version>`). */
  readonly arn: string;
  /** Manifest id of the layer's entries: equal ids need no new version. */
  readonly depsId: string;
}

/** What the dependencies layer needs (UpdateFunctionConfiguration with Layers also needs GetLayerVersion). */
export const layerActions = ['lambda:PublishLayerVersion', 'lambda:GetLayerVersion', 'lambda:DeleteLayerVersion', 'lambda:ListLayerVersions'] as const;

/** What a zip over the direct-upload limit needs: the deployment bucket and its objects. */
export const stagingActions = ['s3:CreateBucket', 's3:PutObject', 's3:GetObject', 's3:DeleteObject'] as const;

export function isLayerAction(action: string): boolean {
  return (layerActions as readonly string[]).includes(action);
}

/**
 * Session-policy statements for the function's own layer and its versions: one pattern
 * (`…:layer:<name>-deps*`) matches both, which keeps the session policy within STS's size limit.
 */
export function layerStatements(functionName: string): { actions: string[]; resources: string[] }[] {
  return [
    { actions: ['lambda:PublishLayerVersion', 'lambda:GetLayerVersion', 'lambda:DeleteLayerVersion'], resources: [`arn:aws*:lambda:*:*:layer:${layerNameOf(functionName)}*`] },
    { actions: ['lambda:ListLayerVersions'], resources: ['*'] },
  ];
}

/** The layer's name: the function's, with `-deps` (layer names take the same characters, up to 140). */
export function layerNameOf(functionName: string): string {
  return `${functionName}-deps`;
}

const description = (depsId: string) => `hangar deps ${depsId}`;

export interface PreparedCode {
  /** The source to upload as the function's code (the app's own files when layered). */
  readonly source: ComponentSource;
  /** Where the code goes in CreateFunction/UpdateFunctionCode (built and, when over the limit, staged in S3 on first call). */
  readonly location: () => Promise<CodeLocation>;
  /** Deletes what `location` staged in S3 (once Lambda has copied it). */
  readonly cleanup: () => Promise<void>;
  /** `manifest:<id>` of what the function package holds. */
  readonly codeHash: string;
  /** Layer version ARNs for the function's `Layers` (none when the app has no node_modules or the engine cannot split). */
  readonly layers: readonly string[];
  readonly layer?: LayerRef;
}

export interface LayerDeps {
  readonly lambda: LambdaClient;
  readonly log: ComponentLogger;
  readonly signal?: AbortSignal;
  readonly limits?: LambdaLimits;
  readonly staging?: S3Staging;
}

/**
 * Splits the source, checks Lambda's size limits, and publishes a layer version unless the
 * recorded one (or one published by a deploy that failed later, found by its description)
 * already holds these dependencies.
 */
export async function prepareCode(source: ComponentSource, functionName: string, previous: LayerRef | undefined, deps: LayerDeps): Promise<PreparedCode> {
  const limits = deps.limits ?? LAMBDA_LIMITS;
  const codeOf = (s: ComponentSource) => located(s, 'function code', `code/${s.manifestId}.zip`, limits, deps);
  if (!source.layered) return { ...codeOf(source), source, codeHash: `manifest:${source.manifestId}`, layers: [] };
  const parts = await source.layered();
  const unzipped = parts.code.unzippedBytes + (parts.deps?.unzippedBytes ?? 0);
  if (unzipped > limits.unzippedBytes) {
    throw new HangarError('COMPONENT_PACKAGE_TOO_LARGE', `The function's code (${parts.code.unzippedBytes} bytes) and its node_modules layer (${parts.deps?.unzippedBytes ?? 0} bytes) come to ${unzipped} bytes unzipped; Lambda allows ${limits.unzippedBytes} bytes (250 MB) for a function and its layers together. Drop dependencies the function does not need at run time, or bundle it.`, {
      details: { unzippedBytes: unzipped, limit: limits.unzippedBytes },
    });
  }
  const codePart = parts.code;
  const source2: ComponentSource = { manifestId: codePart.id, zip: () => codePart.zip(), ...(codePart.file ? { file: () => codePart.file!() } : {}) };
  const code = { ...codeOf(source2), source: source2, codeHash: `manifest:${parts.code.id}` };
  if (!parts.deps) return { ...code, layers: [] };
  if (previous?.depsId === parts.deps.id) return { ...code, layers: [previous.arn], layer: previous };
  const layer = await publish(parts.deps, layerNameOf(functionName), deps, limits);
  return { ...code, layers: [layer.arn], layer };
}

async function publish(part: SourcePart, name: string, deps: LayerDeps, limits: LambdaLimits): Promise<LayerRef> {
  const opts = deps.signal ? { abortSignal: deps.signal } : {};
  const found = (await listVersions(deps.lambda, name, opts)).find((v) => v.description === description(part.id));
  if (found) {
    deps.log.info(`Using dependencies layer ${name} version ${found.version} (published before, unused)`);
    return { name, arn: found.arn, depsId: part.id };
  }
  const content = located(part, 'node_modules layer', `layers/${part.id}.zip`, limits, deps);
  const Content = await content.location();
  deps.log.info(`Publishing dependencies layer ${name}: node_modules changed`);
  const out = await awsCall('lambda:PublishLayerVersion', name, () => deps.lambda.send(new PublishLayerVersionCommand({
    LayerName: name, Description: description(part.id), Content, CompatibleRuntimes: ['nodejs20.x'],
  }), opts)).finally(() => content.cleanup());
  if (!out.LayerVersionArn) throw new HangarError('COMPONENT_AWS_ERROR', 'AWS answered PublishLayerVersion without LayerVersionArn; the endpoint may not be AWS-compatible.', { details: { call: 'PublishLayerVersion', field: 'LayerVersionArn' } });
  return { name, arn: out.LayerVersionArn, depsId: part.id };
}

/**
 * Deletes every version of the instance's layer except `keep` (all of them when undefined): the
 * one the function used before, and any a failed deploy left. Called once the function's new
 * configuration is live.
 */
export async function deleteUnusedLayerVersions(lambda: LambdaClient, name: string, keep: string | undefined, log: ComponentLogger, signal?: AbortSignal): Promise<void> {
  const opts = signal ? { abortSignal: signal } : {};
  for (const v of await listVersions(lambda, name, opts)) {
    if (v.arn === keep) continue;
    log.info(`Deleting dependencies layer ${name} version ${v.version} (no longer used)`);
    await awsCall('lambda:DeleteLayerVersion', v.arn, () => lambda.send(new DeleteLayerVersionCommand({ LayerName: name, VersionNumber: v.version }), opts));
  }
}

async function listVersions(lambda: LambdaClient, name: string, opts: { abortSignal?: AbortSignal }): Promise<{ arn: string; version: number; description: string }[]> {
  const all: { arn: string; version: number; description: string }[] = [];
  let Marker: string | undefined;
  do {
    const out = await awsCall('lambda:ListLayerVersions', name, async () => {
      try {
        return await lambda.send(new ListLayerVersionsCommand({ LayerName: name, ...(Marker ? { Marker } : {}) }), opts);
      } catch (e) {
        if (isAwsError(e, 'ResourceNotFoundException')) return { LayerVersions: [], NextMarker: undefined };
        throw e;
      }
    });
    for (const v of out.LayerVersions ?? []) {
      if (v.LayerVersionArn && v.Version !== undefined) all.push({ arn: v.LayerVersionArn, version: v.Version, description: v.Description ?? '' });
    }
    Marker = out.NextMarker;
  } while (Marker);
  return all;
}

/**
 * Where a zip goes: through the deployment bucket when there is one and the zip is over the
 * staging threshold (or over the direct-upload limit), streamed from the engine's file when the
 * source offers one; otherwise inline. Over the direct-upload limit with no bucket, refused
 * naming the limit. A bucket the provider role may not use (AccessDenied, or its name taken) is
 * warned about and, for a zip Lambda takes inline, the zip is sent inline instead.
 */
function located(source: { zip(): Promise<Uint8Array>; file?(): Promise<SourceFile> }, what: string, key: string, limits: LambdaLimits, deps: LayerDeps): { location: () => Promise<CodeLocation>; cleanup: () => Promise<void> } {
  let staged: { S3Bucket: string; S3Key: string } | undefined;
  let located: Promise<CodeLocation> | undefined;
  const opts = deps.signal ? { abortSignal: deps.signal } : {};
  const locate = async (): Promise<CodeLocation> => {
    // The size from the file when the engine offers one: the zip is then never read whole here.
    const file = source.file ? await source.file() : undefined;
    const bytes = file ? undefined : await source.zip();
    const size = file ? file.size : bytes!.length;
    const staging = deps.staging;
    const overLimit = size > limits.directUploadBytes;
    if (staging && (overLimit || size > (limits.stagingBytes ?? STAGING_BYTES))) {
      const Bucket = staging.bucket;
      const Key = `${staging.prefix}${key}`;
      deps.log.info(overLimit
        ? `The ${what} zip is ${size} bytes, over Lambda's ${limits.directUploadBytes}-byte direct upload: uploading it through s3://${Bucket}`
        : `The ${what} zip is ${size} bytes: uploading it through s3://${Bucket}${file ? ', streamed from its file' : ''}`);
      try {
        await ensureBucket(staging, opts);
        await awsCall('s3:PutObject', `${Bucket}/${Key}`, () => putObject(staging.s3(), { Bucket, Key, size, ...(file ? { file } : { bytes: bytes! }) }, opts));
        staged = { S3Bucket: Bucket, S3Key: Key };
        return staged;
      } catch (e) {
        if (overLimit || !stagingRefused(e)) throw e;
        deps.log.warn(`Could not use the deployment bucket s3://${Bucket} (${e instanceof Error ? e.message : String(e)}); sending the ${what} zip (${size} bytes) inline instead. Allow s3:CreateBucket, s3:PutObject, s3:GetObject and s3:DeleteObject on arn:aws:s3:::${Bucket} and its objects in the provider role to stream it through S3.`);
      }
    }
    if (overLimit) {
      throw new HangarError('COMPONENT_PACKAGE_TOO_LARGE', `The ${what} zip is ${size} bytes; Lambda takes at most ${limits.directUploadBytes} bytes (50 MB) zipped in a direct upload, and no S3 deployment bucket is available to upload it through. Drop dependencies the function does not need at run time, or bundle it.`, {
        details: { zippedBytes: size, limit: limits.directUploadBytes, part: what },
      });
    }
    return { ZipFile: bytes ?? await source.zip() };
  };
  return {
    location: () => (located ??= locate()),
    cleanup: async () => {
      if (!staged || !deps.staging) return;
      const { S3Bucket: Bucket, S3Key: Key } = staged;
      staged = undefined;
      await awsCall('s3:DeleteObject', `${Bucket}/${Key}`, () => deps.staging!.s3().send(new DeleteObjectCommand({ Bucket, Key }), opts));
    },
  };
}

/**
 * PutObject of the zip: a fresh stream of the file with its length (sent as it is read), or the
 * bytes. The SDK does not retry a streamed body, so a failure S3 says is worth retrying (5xx,
 * SlowDown, RequestTimeout) or a dropped connection is retried here, twice, each time from the
 * file's first byte. A stream an attempt did not read to the end is closed.
 */
async function putObject(s3: S3Client, o: { Bucket: string; Key: string; size: number; file?: SourceFile; bytes?: Uint8Array }, opts: { abortSignal?: AbortSignal }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const stream = o.file?.stream();
    try {
      await s3.send(new PutObjectCommand({ Bucket: o.Bucket, Key: o.Key, Body: stream ?? o.bytes!, ContentLength: o.size }), opts);
      return;
    } catch (e) {
      stream?.destroy();
      if (!stream || attempt >= 3 || opts.abortSignal?.aborted || !worthRetrying(e)) throw e;
    }
  }
}

function worthRetrying(e: unknown): boolean {
  if (!(e instanceof Error) || e.name === 'AbortError') return false;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === undefined) return true; // no answer: the connection dropped
  return status >= 500 || isAwsError(e, 'SlowDown', 'RequestTimeout');
}

/** The deployment bucket cannot be used with these rights (or its name is another account's): not a failure of the deploy when the zip fits inline. */
function stagingRefused(e: unknown): boolean {
  if (!(e instanceof HangarError)) return false;
  return e.code === 'COMPONENT_AWS_ACCESS_DENIED' || e.details?.awsCode === 'BucketAlreadyExists';
}

async function ensureBucket(staging: S3Staging, opts: { abortSignal?: AbortSignal }): Promise<void> {
  await awsCall('s3:CreateBucket', staging.bucket, async () => {
    try {
      await staging.s3().send(new CreateBucketCommand({
        Bucket: staging.bucket,
        // us-east-1 is the default location and refuses to be named as a constraint.
        ...(staging.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: staging.region as BucketLocationConstraint } }),
      }), opts);
    } catch (e) {
      if (!isAwsError(e, 'BucketAlreadyOwnedByYou')) throw e;
    }
  });
}

/** s3 actions for the deployment bucket and its objects (one pattern matches both; Lambda reads the object with the caller's rights). */
export function stagingStatements(instance: Pick<InstanceRef, 'orgId' | 'appId' | 'stage'>): { actions: string[]; resources: string[] }[] {
  return [{ actions: [...stagingActions], resources: [`arn:aws*:s3:::${deploymentBucketName(instance, '*')}*`] }];
}

/**
 * The dependencies layer of a Lambda-backed component: `node_modules` goes into a Lambda layer
 * version (content under `nodejs/node_modules/`, which Node's runtime resolves at
 * `/opt/nodejs/node_modules`), published only when the hash of its manifest entries changes; the
 * function package holds the app's own code. Versions the function no longer uses are deleted
 * once the new configuration is live.
 */
import { DeleteLayerVersionCommand, ListLayerVersionsCommand, PublishLayerVersionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HangarError } from '@hangar/core';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { ComponentLogger, ComponentSource, SourcePart } from '../sdk/component.js';

/** Lambda's limits: a zip uploaded directly (ZipFile) and the function plus its layers unzipped. */
export const LAMBDA_LIMITS = { directUploadBytes: 50 * 1024 * 1024, unzippedBytes: 250 * 1024 * 1024 } as const;

export type LambdaLimits = { readonly directUploadBytes: number; readonly unzippedBytes: number };

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

export function isLayerAction(action: string): boolean {
  return (layerActions as readonly string[]).includes(action);
}

/** Session-policy statements for the function's own layer and its versions. */
export function layerStatements(functionName: string): { actions: string[]; resources: string[] }[] {
  const layer = `arn:aws:lambda:*:*:layer:${layerNameOf(functionName)}`;
  return [
    { actions: ['lambda:PublishLayerVersion'], resources: [layer] },
    { actions: ['lambda:GetLayerVersion', 'lambda:DeleteLayerVersion'], resources: [`${layer}:*`] },
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
}

/**
 * Splits the source, checks Lambda's size limits, and publishes a layer version unless the
 * recorded one (or one published by a deploy that failed later, found by its description)
 * already holds these dependencies.
 */
export async function prepareCode(source: ComponentSource, functionName: string, previous: LayerRef | undefined, deps: LayerDeps): Promise<PreparedCode> {
  const limits = deps.limits ?? LAMBDA_LIMITS;
  if (!source.layered) return { source: checked(source, 'function code', limits), codeHash: `manifest:${source.manifestId}`, layers: [] };
  const parts = await source.layered();
  const unzipped = parts.code.unzippedBytes + (parts.deps?.unzippedBytes ?? 0);
  if (unzipped > limits.unzippedBytes) {
    throw new HangarError('COMPONENT_PACKAGE_TOO_LARGE', `The function's code (${parts.code.unzippedBytes} bytes) and its node_modules layer (${parts.deps?.unzippedBytes ?? 0} bytes) come to ${unzipped} bytes unzipped; Lambda allows ${limits.unzippedBytes} bytes (250 MB) for a function and its layers together. Drop dependencies the function does not need at run time, or bundle it.`, {
      details: { unzippedBytes: unzipped, limit: limits.unzippedBytes },
    });
  }
  const code: ComponentSource = checked({ manifestId: parts.code.id, zip: () => parts.code.zip() }, 'function code', limits);
  const codeHash = `manifest:${parts.code.id}`;
  if (!parts.deps) return { source: code, codeHash, layers: [] };
  if (previous?.depsId === parts.deps.id) return { source: code, codeHash, layers: [previous.arn], layer: previous };
  const layer = await publish(parts.deps, layerNameOf(functionName), deps, limits);
  return { source: code, codeHash, layers: [layer.arn], layer };
}

async function publish(part: SourcePart, name: string, deps: LayerDeps, limits: LambdaLimits): Promise<LayerRef> {
  const opts = deps.signal ? { abortSignal: deps.signal } : {};
  const found = (await listVersions(deps.lambda, name, opts)).find((v) => v.description === description(part.id));
  if (found) {
    deps.log.info(`Using dependencies layer ${name} version ${found.version} (published before, unused)`);
    return { name, arn: found.arn, depsId: part.id };
  }
  const zip = await part.zip();
  checkZip(zip.length, 'node_modules layer', limits);
  deps.log.info(`Publishing dependencies layer ${name} (${zip.length} bytes zipped): node_modules changed`);
  const out = await awsCall('lambda:PublishLayerVersion', name, () => deps.lambda.send(new PublishLayerVersionCommand({
    LayerName: name, Description: description(part.id), Content: { ZipFile: zip }, CompatibleRuntimes: ['nodejs20.x'],
  }), opts));
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

/** A source whose zip() refuses a package over the direct-upload limit, naming it. */
function checked(source: ComponentSource, what: string, limits: LambdaLimits): ComponentSource {
  return { manifestId: source.manifestId, zip: async () => { const zip = await source.zip(); checkZip(zip.length, what, limits); return zip; } };
}

function checkZip(bytes: number, what: string, limits: LambdaLimits): void {
  if (bytes <= limits.directUploadBytes) return;
  throw new HangarError('COMPONENT_PACKAGE_TOO_LARGE', `The ${what} zip is ${bytes} bytes; Lambda takes at most ${limits.directUploadBytes} bytes (50 MB) zipped in a direct upload, and this Hangar does not yet upload through S3. Drop dependencies the function does not need at run time, or bundle it.`, {
    details: { zippedBytes: bytes, limit: limits.directUploadBytes, part: what },
  });
}

/**
 * The dependencies layer against the real local cloud: node_modules is published as a layer
 * version only when its entries change, the function resolves it from /opt/nodejs/node_modules
 * with `import` and `require`, versions no longer used are deleted, a package over the staging
 * threshold (lowered here) is streamed through the deployment bucket, and a package over Lambda's
 * direct-upload limit (lowered here) fails naming the limit before anything is uploaded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ListLayerVersionsCommand } from '@aws-sdk/client-lambda';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { SessionCredentials } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { Readable } from 'node:stream';
import { strToU8, unzipSync, zipSync } from 'fflate';
import type { ComponentContext, ComponentSource, SourcePart } from '../sdk/component.js';
import { validateInputs } from '../sdk/validate.js';
import { createHttpFunctionClients, destroyHttpFunctionClients, type HttpFunctionClients } from './clients.js';
import { countingHttpFunctionClients, createCallCounter, startCloudWithAccount } from '../internal/local-cloud-testing.js';
import { createHttpFunction } from './component.js';
import { deploymentBucketName, layerNameOf } from './layer.js';
import { awsClientConfig } from '../sdk/aws-clients.js';

let cloud: LocalCloud;
let credentials: SessionCredentials;
const counted = createCallCounter();
const made: HttpFunctionClients[] = [];
const s3Made: S3Client[] = [];
const countingClients = countingHttpFunctionClients(counted, made);

/** The calls made since the last look, without the waiters' reads. */
const taken = (): string[] => counted.taken().filter((c) => c !== 'GetFunctionConfiguration' && c !== 'GetFunction');

const instance = { orgId: 'org_1', appId: 'app_1', app: 'deps', stage: 'dev', name: 'api', instanceId: 'inst_layer_1' };

/** The app's code: imports the dependency as ESM and requires it as CommonJS. */
function codeZip(tag: string): Uint8Array {
  const code = `import greet from 'greet';
import { createRequire } from 'node:module';
const required = createRequire(import.meta.url)('greet');
export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ code: ${JSON.stringify(tag)}, imported: greet(), required: required() }) });\n`;
  return zipSync({ 'index.mjs': strToU8(code) });
}

function depsZip(version: string, padding = 0): Uint8Array {
  return zipSync({
    'nodejs/node_modules/greet/package.json': strToU8('{"name":"greet","main":"index.js"}'),
    'nodejs/node_modules/greet/index.js': strToU8(`module.exports = () => ${JSON.stringify(`greet ${version}`)};\n`),
    ...(padding ? { 'nodejs/node_modules/greet/blob.bin': [new Uint8Array(randomBytes(padding)), { level: 0 }] } : {}),
  });
}

/** A source split as the engine splits it; counts how often each zip is built. */
function layered(tag: string, depsVersion: string, padding = 0): ComponentSource & { built: string[] } {
  const built: string[] = [];
  return {
    built,
    manifestId: `all-${tag}-${depsVersion}-${padding}`,
    zip: async () => { throw new Error('the layered source is asked for its parts, not the whole'); },
    layered: async () => ({
      code: { id: `code-${tag}`, unzippedBytes: 400, zip: async () => { built.push('code'); return codeZip(tag); } },
      deps: { id: `deps-${depsVersion}-${padding}`, unzippedBytes: 100 + padding, zip: async () => { built.push('deps'); return depsZip(depsVersion, padding); } },
    }),
  };
}

function context(state: Record<string, unknown>, source: ComponentSource): ComponentContext {
  return { credentials, region: 'us-east-1', endpoint: cloud.endpoint, instance, state, log: { info() {}, warn() {}, error() {} }, source };
}

before(async () => {
  ({ cloud, credentials } = await startCloudWithAccount('333333333333'));
});

after(async () => {
  for (const c of made) destroyHttpFunctionClients(c);
  for (const c of s3Made) c.destroy();
  await cloud?.stop();
});

async function versions(functionName: string): Promise<number[]> {
  // Not counted: a client of its own.
  const clients = createHttpFunctionClients({ credentials, region: 'us-east-1', endpoint: cloud.endpoint });
  made.push(clients);
  const out = await clients.lambda.send(new ListLayerVersionsCommand({ LayerName: layerNameOf(functionName) }));
  return (out.LayerVersions ?? []).map((v) => v.Version!).sort((a, b) => a - b);
}

test('local cloud: a dependency change publishes one layer version and deletes the old one; a code-only change publishes none', async () => {
  const component = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30 });
  const inputs = validateInputs(component, { src: './api', handler: 'index.handler' });

  const first = await component.deploy(inputs, context({}, layered('c1', 'v1')));
  const firstCalls = taken();
  assert.equal(firstCalls.filter((c) => c === 'PublishLayerVersion').length, 1, firstCalls.join(' '));
  assert.ok(firstCalls.indexOf('PublishLayerVersion') < firstCalls.indexOf('CreateFunction'), firstCalls.join(' '));
  const url = first.outputs.url as string;
  const fn = first.outputs.functionName as string;
  const answer = async () => {
    const res = await fetch(url);
    assert.equal(res.status, 200, await res.clone().text());
    return res.json() as Promise<{ code: string; imported: string; required: string }>;
  };
  assert.deepEqual(await answer(), { code: 'c1', imported: 'greet v1', required: 'greet v1' });
  assert.deepEqual(await versions(fn), [1]);

  // Code only: the layer is neither built nor published again.
  const codeSource = layered('c2', 'v1');
  const codeOnly = await component.deploy(inputs, context(JSON.parse(JSON.stringify(first.state)) as Record<string, unknown>, codeSource));
  assert.deepEqual(taken(), ['UpdateFunctionCode']);
  assert.deepEqual(codeSource.built, ['code']);
  assert.deepEqual(await answer(), { code: 'c2', imported: 'greet v1', required: 'greet v1' });

  // A dependency change: one new version, the function moved to it, then the old one deleted.
  const depsSource = layered('c2', 'v2');
  const depsChange = await component.deploy(inputs, context(codeOnly.state, depsSource));
  assert.deepEqual(taken(), ['ListLayerVersions', 'PublishLayerVersion', 'UpdateFunctionConfiguration', 'ListLayerVersions', 'DeleteLayerVersion']);
  assert.deepEqual(depsSource.built, ['deps']);
  assert.deepEqual(await answer(), { code: 'c2', imported: 'greet v2', required: 'greet v2' });
  assert.deepEqual(await versions(fn), [2]);
  assert.match((depsChange.state.layer as { arn: string }).arn, new RegExp(`^arn:aws:lambda:us-east-1:333333333333:layer:${layerNameOf(fn)}:2$`));

  // Unchanged: no call at all.
  await component.deploy(inputs, context(depsChange.state, layered('c2', 'v2')));
  assert.deepEqual(taken(), []);

  await component.remove(context(depsChange.state, layered('c2', 'v2')));
  assert.ok(taken().includes('DeleteLayerVersion'));
  assert.deepEqual(await versions(fn), []);
});

test('local cloud: zips over the direct-upload limit (lowered) go through the deployment bucket, or fail naming the limit without one', async () => {
  const limits = { directUploadBytes: 64 * 1024, unzippedBytes: 250 * 1024 * 1024 };
  const inputs = { src: './api', handler: 'index.handler' };
  const bare = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30, limits, createS3Client: null });
  taken();
  await assert.rejects(
    bare.deploy(validateInputs(bare, inputs), context({}, layered('c1', 'big', 100 * 1024))),
    (e: Error & { code?: string }) => e.code === 'COMPONENT_PACKAGE_TOO_LARGE' && /node_modules layer zip is \d+ bytes; Lambda takes at most 65536 bytes \(50 MB\)/.test(e.message),
  );
  assert.ok(!taken().includes('PublishLayerVersion'));

  const s3Calls: string[] = [];
  const component = createHttpFunction({
    createClients: countingClients, maxWaitSeconds: 30, limits,
    createS3Client: (ctx) => {
      const s3 = new S3Client({ ...awsClientConfig(ctx), forcePathStyle: true });
      s3.middlewareStack.add((next, c) => async (args) => { s3Calls.push(String(c.commandName).replace(/Command$/, '')); return next(args); }, { step: 'initialize' });
      s3Made.push(s3);
      return s3;
    },
  });
  const big = await component.deploy(validateInputs(component, inputs), context({}, layered('c1', 'big', 100 * 1024)));
  assert.deepEqual(s3Calls, ['CreateBucket', 'PutObject', 'DeleteObject']);
  const res = await fetch(big.outputs.url as string);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { imported: string }).imported, 'greet big');
  // The staged object is gone once Lambda has it.
  const bucket = deploymentBucketName(instance, 'us-east-1');
  const lister = new S3Client({ ...awsClientConfig({ credentials, region: 'us-east-1', endpoint: cloud.endpoint }), forcePathStyle: true });
  s3Made.push(lister);
  const listed = await lister.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.equal(listed.KeyCount ?? 0, 0);
  await component.remove(context(big.state, layered('c1', 'big', 100 * 1024)));
});

/** A source whose parts are also offered as files (as the engine offers them): counts zip() and stream() per part. */
function streamable(tag: string, depsVersion: string, codePadding: number, depsPadding: number): ComponentSource & { asked: string[] } {
  const asked: string[] = [];
  const padded = (zip: Uint8Array, padding: number, name: string) => padding
    ? zipSync({ ...unzipSync(zip), [name]: [new Uint8Array(randomBytes(padding)), { level: 0 }] })
    : zip;
  const code = padded(codeZip(tag), codePadding, 'padding.bin');
  const deps = depsZip(depsVersion, depsPadding);
  const part = (name: string, id: string, zip: Uint8Array): SourcePart => ({
    id, unzippedBytes: zip.length,
    zip: async () => { asked.push(`${name}.zip`); return zip; },
    file: async () => ({ size: zip.length, stream: () => { asked.push(`${name}.stream`); return Readable.from([Buffer.from(zip)]); } }),
  });
  return {
    asked,
    manifestId: `all-${tag}-${depsVersion}`,
    zip: async () => { throw new Error('the layered source is asked for its parts, not the whole'); },
    layered: async () => ({ code: part('code', `code-${tag}-${codePadding}`, code), deps: part('deps', `deps-${depsVersion}-${depsPadding}`, deps) }),
  };
}

test('local cloud: parts over the staging threshold (lowered) are streamed through the deployment bucket and deleted after; below it the code goes inline', async () => {
  const limits = { directUploadBytes: 50 * 1024 * 1024, unzippedBytes: 250 * 1024 * 1024, stagingBytes: 64 * 1024 };
  const s3Calls: string[] = [];
  const lambdaInputs: { name: string; input: Record<string, unknown> }[] = [];
  const component = createHttpFunction({
    maxWaitSeconds: 30, limits,
    createClients: (ctx) => {
      const clients = countingClients(ctx);
      clients.lambda.middlewareStack.add((next, c) => async (args) => {
        lambdaInputs.push({ name: String(c.commandName).replace(/Command$/, ''), input: args.input as Record<string, unknown> });
        return next(args);
      }, { step: 'initialize', name: 'recordLambdaInputs' });
      return clients;
    },
    createS3Client: (ctx) => {
      const s3 = new S3Client({ ...awsClientConfig(ctx), forcePathStyle: true });
      s3.middlewareStack.add((next, c) => async (args) => { s3Calls.push(String(c.commandName).replace(/Command$/, '')); return next(args); }, { step: 'initialize' });
      s3Made.push(s3);
      return s3;
    },
  });
  const inputs = validateInputs(component, { src: './api', handler: 'index.handler' });
  const streamedInstance = { ...instance, instanceId: 'inst_stream_1' };
  const ctx = (state: Record<string, unknown>, source: ComponentSource): ComponentContext => ({ ...context(state, source), instance: streamedInstance });
  taken();

  // First deploy: a 100 KB code package and a 100 KB layer, both over the 64 KiB threshold.
  const big = streamable('c1', 'v1', 100 * 1024, 100 * 1024);
  const first = await component.deploy(inputs, ctx({}, big));
  assert.deepEqual(s3Calls, ['CreateBucket', 'PutObject', 'DeleteObject', 'CreateBucket', 'PutObject', 'DeleteObject']);
  assert.deepEqual(big.asked, ['deps.stream', 'code.stream'], 'streamed from the files, never read whole');
  const bucket = deploymentBucketName(streamedInstance, 'us-east-1');
  const publish = lambdaInputs.find((c) => c.name === 'PublishLayerVersion')!.input.Content as Record<string, unknown>;
  assert.deepEqual(publish, { S3Bucket: bucket, S3Key: `inst_stream_1/layers/deps-v1-${100 * 1024}.zip` });
  const create = lambdaInputs.find((c) => c.name === 'CreateFunction')!.input.Code as Record<string, unknown>;
  assert.deepEqual(create, { S3Bucket: bucket, S3Key: `inst_stream_1/code/code-c1-${100 * 1024}.zip` });
  const res = await fetch(first.outputs.url as string);
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { code: 'c1', imported: 'greet v1', required: 'greet v1' });
  const lister = new S3Client({ ...awsClientConfig({ credentials, region: 'us-east-1', endpoint: cloud.endpoint }), forcePathStyle: true });
  s3Made.push(lister);
  assert.equal((await lister.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0, 0, 'the staged objects are deleted once Lambda has them');

  // A one-file change: the small code package goes inline, nothing through S3, the layer untouched.
  s3Calls.length = 0;
  lambdaInputs.length = 0;
  taken();
  const small = streamable('c2', 'v1', 0, 100 * 1024);
  const second = await component.deploy(inputs, ctx(JSON.parse(JSON.stringify(first.state)) as Record<string, unknown>, small));
  assert.deepEqual(s3Calls, []);
  assert.deepEqual(small.asked, ['code.zip']);
  assert.deepEqual(taken(), ['UpdateFunctionCode']);
  const update = lambdaInputs.find((c) => c.name === 'UpdateFunctionCode')!.input;
  assert.ok(update.ZipFile instanceof Uint8Array && update.S3Key === undefined);
  assert.deepEqual(await (await fetch(first.outputs.url as string)).json(), { code: 'c2', imported: 'greet v1', required: 'greet v1' });

  await component.remove(ctx(second.state, small));
});

test('local cloud: code and layer over 250 MB unzipped (lowered) fail naming the limit before any call', async () => {
  const inputs = { src: './api', handler: 'index.handler' };
  const tight = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30, limits: { directUploadBytes: 50 * 1024 * 1024, unzippedBytes: 1000 } });
  taken();
  await assert.rejects(tight.deploy(validateInputs(tight, inputs), context({}, layered('c1', 'v1', 2000))), (e: Error & { code?: string }) =>
    e.code === 'COMPONENT_PACKAGE_TOO_LARGE' && /Lambda allows 1000 bytes \(250 MB\)/.test(e.message));
  assert.deepEqual(taken(), []);
});

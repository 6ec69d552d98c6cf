/**
 * Code from S3 and Lambda layers, through the unmodified AWS SDK v3 clients: CreateFunction and
 * UpdateFunctionCode from `Code.S3Bucket/S3Key`, PublishLayerVersion from a zip or S3, a layer's
 * `nodejs/node_modules` package `require`d and `import`ed, later layers overriding earlier ones,
 * deleted versions still used, AWS's size limits and IAM refusals.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import {
  AddLayerVersionPermissionCommand, CreateFunctionCommand, DeleteFunctionCommand, DeleteLayerVersionCommand, GetFunctionCommand,
  GetFunctionConfigurationCommand, GetLayerVersionByArnCommand, GetLayerVersionCommand, GetLayerVersionPolicyCommand, InvokeCommand,
  ListLayersCommand, ListLayerVersionsCommand, PublishLayerVersionCommand, RemoveLayerVersionPermissionCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createAccount } from '../index.js';
import { zipSync } from 'fflate';
import { ACCOUNT, REGION, clientsFor, destroyClients, fixture, zipOf, type Fixture, closeFixture } from './test-support.js';

let fx: Fixture;
let s3: S3Client;
const BUCKET = 'code-bucket';
const dec = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));
const invoke = async (FunctionName: string, client: LambdaClient = fx.c.lambda) => {
  const out = await client.send(new InvokeCommand({ FunctionName, Payload: Buffer.from('{}') }));
  const body = dec(out.Payload);
  assert.equal(out.FunctionError, undefined, JSON.stringify(body));
  return body;
};
const settled = (FunctionName: string) => waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName });

/** A layer whose `nodejs/node_modules/greet` package answers `word`. */
const greetLayer = (word: string, extra: Record<string, string> = {}) => zipOf({
  'nodejs/node_modules/greet/package.json': JSON.stringify({ name: 'greet', version: '1.0.0', main: 'index.js' }),
  'nodejs/node_modules/greet/index.js': `exports.greet = (who) => '${word}, ' + who;`,
  ...extra,
});

const CJS = `
const { greet } = require('greet');
exports.handler = async () => ({ said: greet('cjs'), nodePath: process.env.NODE_PATH });
`;
const ESM = `
import greetPkg from 'greet';
export const handler = async () => ({ said: greetPkg.greet('esm') });
`;

async function createFn(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}, client: LambdaClient = fx.c.lambda) {
  const out = await client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf(files) }, Timeout: 10, ...extra,
  }));
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
  return out;
}

before(async () => {
  fx = await fixture();
  s3 = new S3Client({ endpoint: fx.cloud.endpoint, region: REGION, credentials: fx.root, forcePathStyle: true, maxAttempts: 2 });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  s3.destroy();
  await closeFixture(fx);
});

test('a function is created and updated from a zip in S3; a missing bucket or key is refused as AWS refuses it', async () => {
  const v1 = zipOf({ 'index.js': 'exports.handler = async () => "from s3 v1";' });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fn/v1.zip', Body: v1 }));
  const out = await fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'from-s3', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler',
    Code: { S3Bucket: BUCKET, S3Key: 'fn/v1.zip' },
  }));
  assert.equal(out.CodeSha256, createHash('sha256').update(v1).digest('base64'));
  assert.equal(out.CodeSize, v1.length);
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'from-s3' });
  assert.equal(await invoke('from-s3'), 'from s3 v1');

  const v2 = zipOf({ 'index.js': 'exports.handler = async () => "from s3 v2";' });
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'fn/v2.zip', Body: v2 }));
  const up = await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'from-s3', S3Bucket: BUCKET, S3Key: 'fn/v2.zip' }));
  assert.equal(up.CodeSha256, createHash('sha256').update(v2).digest('base64'));
  await settled('from-s3');
  assert.equal(await invoke('from-s3'), 'from s3 v2');

  await assert.rejects(fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'from-s3', S3Bucket: BUCKET, S3Key: 'fn/nope.zip' })), {
    name: 'InvalidParameterValueException',
    message: 'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
  });
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'no-bucket', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { S3Bucket: 'no-such-bucket-here', S3Key: 'x.zip' },
  })), { name: 'InvalidParameterValueException', message: 'Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist' });
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'no-version', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { S3Bucket: BUCKET, S3Key: 'fn/v1.zip', S3ObjectVersion: 'abc' },
  })), { name: 'InvalidParameterValueException', message: /S3 Error Code: NoSuchVersion/ });
  // The failed calls changed nothing.
  assert.equal(await invoke('from-s3'), 'from s3 v2');
  await assert.rejects(fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'no-bucket' })), { name: 'ResourceNotFoundException' });
});

test('a layer version is published, read, listed, and its package is required and imported by functions', async () => {
  const zip = greetLayer('hello');
  const pub = await fx.c.lambda.send(new PublishLayerVersionCommand({
    LayerName: 'greet', Content: { ZipFile: zip }, CompatibleRuntimes: ['nodejs20.x'], Description: 'greetings', LicenseInfo: 'MIT',
  }));
  const arn1 = `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:greet:1`;
  assert.equal(pub.Version, 1);
  assert.equal(pub.LayerArn, `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:greet`);
  assert.equal(pub.LayerVersionArn, arn1);
  assert.equal(pub.Content?.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  assert.equal(pub.Content?.CodeSize, zip.length);
  assert.deepEqual(pub.CompatibleRuntimes, ['nodejs20.x']);
  assert.equal(pub.Description, 'greetings');
  assert.equal(pub.LicenseInfo, 'MIT');
  assert.match(pub.CreatedDate ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
  const dl = await fetch(pub.Content?.Location as string);
  assert.equal(createHash('sha256').update(Buffer.from(await dl.arrayBuffer())).digest('base64'), pub.Content?.CodeSha256);

  const got = await fx.c.lambda.send(new GetLayerVersionCommand({ LayerName: 'greet', VersionNumber: 1 }));
  assert.equal(got.LayerVersionArn, arn1);
  assert.equal(got.Content?.CodeSize, zip.length);
  const byArn = await fx.c.lambda.send(new GetLayerVersionByArnCommand({ Arn: arn1 }));
  assert.equal(byArn.Version, 1);
  assert.equal(byArn.Description, 'greetings');
  await assert.rejects(fx.c.lambda.send(new GetLayerVersionCommand({ LayerName: 'greet', VersionNumber: 9 })), { name: 'ResourceNotFoundException' });

  // From S3, the second version.
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'layers/greet2.zip', Body: greetLayer('howdy') }));
  const pub2 = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'greet', Content: { S3Bucket: BUCKET, S3Key: 'layers/greet2.zip' } }));
  assert.equal(pub2.Version, 2);
  await assert.rejects(fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'greet', Content: { S3Bucket: BUCKET, S3Key: 'layers/none.zip' } })), {
    name: 'InvalidParameterValueException', message: /S3 Error Code: NoSuchKey/,
  });
  const versions = await fx.c.lambda.send(new ListLayerVersionsCommand({ LayerName: 'greet' }));
  assert.deepEqual(versions.LayerVersions?.map((v) => v.Version), [2, 1]);
  const compatible = await fx.c.lambda.send(new ListLayerVersionsCommand({ LayerName: 'greet', CompatibleRuntime: 'nodejs20.x' }));
  assert.deepEqual(compatible.LayerVersions?.map((v) => v.Version), [1]);
  const layers = await fx.c.lambda.send(new ListLayersCommand({}));
  assert.deepEqual(layers.Layers?.map((l) => [l.LayerName, l.LatestMatchingVersion?.Version]), [['greet', 2]]);

  await createFn('cjs-user', { 'index.js': CJS }, { Layers: [arn1] });
  const cjs = await invoke('cjs-user');
  assert.equal(cjs.said, 'hello, cjs');
  // NODE_PATH as AWS's runtime orders it: the layers' node20 folder, then nodejs/node_modules.
  assert.match(cjs.nodePath, /\/nodejs\/node20\/node_modules:.*\/nodejs\/node_modules(:|$)/);
  await createFn('esm-user', { 'index.mjs': ESM }, { Layers: [arn1] });
  assert.equal((await invoke('esm-user')).said, 'hello, esm');
  const conf = await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'esm-user' }));
  assert.deepEqual(conf.Layers, [{ Arn: arn1, CodeSize: zip.length }]);
  const fn = await fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'cjs-user' }));
  assert.deepEqual(fn.Configuration?.Layers, [{ Arn: arn1, CodeSize: zip.length }]);

  // Without the layer, the package is not there.
  await createFn('no-layer', { 'index.js': CJS });
  const bare = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 'no-layer', Payload: Buffer.from('{}') }));
  assert.equal(bare.FunctionError, 'Unhandled');
  assert.equal(dec(bare.Payload).errorType, 'Runtime.ImportModuleError');
});

test('a newer layer version replaces the older one, and later layers override earlier ones', async () => {
  const arn = (n: number) => `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:greet:${n}`;
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'esm-user', Layers: [arn(2)] }));
  await settled('esm-user');
  assert.equal((await invoke('esm-user')).said, 'howdy, esm');

  const other = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'override', Content: { ZipFile: greetLayer('ahoy') } }));
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: [arn(1), other.LayerVersionArn as string] }));
  await settled('cjs-user');
  assert.equal((await invoke('cjs-user')).said, 'ahoy, cjs');
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: [other.LayerVersionArn as string, arn(1)] }));
  await settled('cjs-user');
  assert.equal((await invoke('cjs-user')).said, 'hello, cjs');

  await assert.rejects(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: [arn(1), arn(2)] })), {
    name: 'InvalidParameterValueException', message: /Two different versions of the same layer/,
  });
  await assert.rejects(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: [arn(7)] })), {
    name: 'InvalidParameterValueException', message: `Layer version ${arn(7)} does not exist.`,
  });
  await assert.rejects(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: ['not-an-arn'] })), { name: 'ValidationException' });
  assert.equal((await invoke('cjs-user')).said, 'hello, cjs');

  // An empty list detaches the layers.
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'cjs-user', Layers: [] }));
  await settled('cjs-user');
  const conf = await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'cjs-user' }));
  assert.equal(conf.Layers, undefined);
  const bare = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 'cjs-user', Payload: Buffer.from('{}') }));
  assert.equal(dec(bare.Payload).errorType, 'Runtime.ImportModuleError');
});

test('a deleted layer version keeps working in the functions that use it, and its number is not reused', async () => {
  await fx.c.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'greet', VersionNumber: 2 }));
  await fx.c.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'greet', VersionNumber: 2 })); // idempotent, as on AWS
  await assert.rejects(fx.c.lambda.send(new GetLayerVersionCommand({ LayerName: 'greet', VersionNumber: 2 })), { name: 'ResourceNotFoundException' });
  // A configuration change starts a fresh execution environment: the layer's files are still there.
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'esm-user', MemorySize: 256 }));
  await settled('esm-user');
  assert.equal((await invoke('esm-user')).said, 'howdy, esm');
  const conf = await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'esm-user' }));
  assert.equal(conf.Layers?.[0]?.Arn, `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:greet:2`);
  // ...and after a restart of the cloud on the same data dir (stopping finishes the background
  // freeing of deleted versions, which kept this one: a function uses it).
  const v2 = join(fx.dataDir, 'lambda', 'layers', ACCOUNT, REGION, 'greet', '2');
  await fx.cloud.stop();
  assert.ok(existsSync(join(v2, 'nodejs', 'node_modules', 'greet', 'index.js')), 'a deleted version in use keeps its files');
  const { startCompute } = await import('./test-support.js');
  let again = await startCompute(fx.dataDir);
  let c = clientsFor(again.endpoint, fx.root);
  try {
    const out = await c.lambda.send(new InvokeCommand({ FunctionName: 'esm-user', Payload: Buffer.from('{}') }));
    assert.equal(dec(out.Payload).said, 'howdy, esm');
    const next = await c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'greet', Content: { ZipFile: greetLayer('hi') } }));
    assert.equal(next.Version, 3);
    await assert.rejects(c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'esm-user', Layers: [`arn:aws:lambda:${REGION}:${ACCOUNT}:layer:greet:2`] })), {
      name: 'InvalidParameterValueException', message: /does not exist/,
    });
    // One layer: the function's /opt is the version's own folder, which its node_modules link points into.
    const folder = join(fx.dataDir, 'lambda', ACCOUNT, REGION, 'esm-user');
    assert.ok(!readdirSync(folder).some((n) => n.startsWith('opt-')), 'nothing merged for one layer');
    assert.equal(realpathSync(join(folder, 'node_modules')), realpathSync(join(v2, 'nodejs', 'node_modules')));
    // Deleting the function removes its node_modules link with its code, and with it the last use of
    // the deleted version: its folder, zip and file list go (in the background; stopping waits for it).
    await c.lambda.send(new DeleteFunctionCommand({ FunctionName: 'esm-user' }));
    assert.deepEqual(readdirSync(folder), []);
    destroyClients(c);
    await again.stop();
    for (const p of [v2, `${v2}.zip`, `${v2}.files`]) assert.ok(!existsSync(p), `${p} is freed`);
    assert.ok(existsSync(join(fx.dataDir, 'lambda', 'layers', ACCOUNT, REGION, 'greet', '3')), 'the other versions stay');
    again = await startCompute(fx.dataDir);
    c = clientsFor(again.endpoint, fx.root);
  } finally {
    destroyClients(c);
    fx.cloud = again;
    destroyClients(fx.c);
    fx.c = clientsFor(again.endpoint, fx.root);
    s3.destroy();
    s3 = new S3Client({ endpoint: again.endpoint, region: REGION, credentials: fx.root, forcePathStyle: true, maxAttempts: 2 });
  }
});

test('AWS size limits: 50 MB zipped direct upload, 250 MB unzipped function plus layers, 5 layers', async () => {
  await assert.rejects(fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'big', Content: { ZipFile: new Uint8Array(51 * 1024 * 1024) } })),
    (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'RequestEntityTooLargeException');
      assert.equal(e.$metadata?.httpStatusCode, 413);
      return true;
    });
  // 262,100,000 bytes of zeros: a small zip, just under the limit alone, over it with the function's code.
  const huge = zipSync({ 'nodejs/blob.bin': new Uint8Array(262_100_000) }, { level: 1 });
  const layer = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'huge', Content: { ZipFile: huge } }));
  const code = { 'index.js': `exports.handler = async () => 1; // ${'x'.repeat(60_000)}` };
  await assert.rejects(createFn('too-big', code, { Layers: [layer.LayerVersionArn] }), {
    name: 'InvalidParameterValueException',
    message: /^Function code combined with layers exceeds the maximum allowed size of 262144000 bytes\. The actual size is \d+ bytes\.$/,
  });
  await createFn('small', code);
  await assert.rejects(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'small', Layers: [layer.LayerVersionArn as string] })), {
    name: 'InvalidParameterValueException', message: /combined with layers exceeds the maximum allowed size of 262144000 bytes/,
  });
  await fx.c.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'huge', VersionNumber: layer.Version }));

  const six = [];
  for (let i = 0; i < 6; i++) six.push((await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: `l${i}`, Content: { ZipFile: zipOf({ [`f${i}.txt`]: 'x' }) } }))).LayerVersionArn as string);
  await assert.rejects(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'small', Layers: six })), {
    name: 'InvalidParameterValueException', message: 'Cannot reference more than 5 layers.',
  });
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'small', Layers: six.slice(0, 5) }));
  await settled('small');
  assert.equal((await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'small' }))).Layers?.length, 5);
  assert.equal(await invoke('small'), 1);
  // New code that fits alone but not with the function's layers (5 bytes of them: 262,143,998 + 5 bytes) is refused too, and nothing changes.
  const before = await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'small' }));
  const bulky = zipSync({ 'index.js': new TextEncoder().encode('exports.handler = async () => 2;'), 'pad.bin': new Uint8Array(262_143_966) }, { level: 1 });
  await assert.rejects(fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'small', ZipFile: bulky })), {
    name: 'InvalidParameterValueException', message: /^Function code combined with layers exceeds the maximum allowed size of 262144000 bytes\. The actual size is 262144003 bytes\.$/,
  });
  assert.equal((await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'small' }))).CodeSha256, before.CodeSha256);
  assert.equal(await invoke('small'), 1);
});

test('IAM: layers and S3 code need their own permissions, named as AWS names them', async () => {
  const layerArn = (await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'private', Content: { ZipFile: greetLayer('secret') } }))).LayerVersionArn as string;
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locked/fn.zip', Body: zipOf({ 'index.js': CJS }) }));
  await fx.c.iam.send(new CreateUserCommand({ UserName: 'deployer' }));
  const fnArn = (n: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${n}`;
  await fx.c.iam.send(new PutUserPolicyCommand({
    UserName: 'deployer', PolicyName: 'deploy',
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'], Resource: fnArn('dep-*') },
        { Effect: 'Allow', Action: 'iam:PassRole', Resource: fx.roleArn },
        { Effect: 'Allow', Action: 'lambda:PublishLayerVersion', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:mine` },
        { Effect: 'Allow', Action: 'lambda:GetLayerVersion', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:layer:mine:*` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/open/*` },
      ],
    }),
  }));
  const key = (await fx.c.iam.send(new CreateAccessKeyCommand({ UserName: 'deployer' }))).AccessKey;
  const user = clientsFor(fx.cloud.endpoint, { accessKeyId: key?.AccessKeyId as string, secretAccessKey: key?.SecretAccessKey as string });
  try {
    const mine = await user.lambda.send(new PublishLayerVersionCommand({ LayerName: 'mine', Content: { ZipFile: greetLayer('mine') } }));
    await assert.rejects(user.lambda.send(new PublishLayerVersionCommand({ LayerName: 'theirs', Content: { ZipFile: greetLayer('x') } })), {
      name: 'AccessDeniedException', message: /lambda:PublishLayerVersion on resource: arn:aws:lambda:us-east-1:111111111111:layer:theirs/,
    });
    await assert.rejects(user.lambda.send(new GetLayerVersionCommand({ LayerName: 'private', VersionNumber: 1 })), { name: 'AccessDeniedException' });
    await assert.rejects(user.lambda.send(new ListLayersCommand({})), { name: 'AccessDeniedException' });
    await assert.rejects(user.lambda.send(new DeleteLayerVersionCommand({ LayerName: 'mine', VersionNumber: 1 })), { name: 'AccessDeniedException' });
    // A function may use only the layers the caller may read.
    await assert.rejects(createFn('dep-a', { 'index.js': CJS }, { Layers: [layerArn] }, user.lambda), {
      name: 'AccessDeniedException', message: new RegExp(`lambda:GetLayerVersion on resource: ${layerArn}`),
    });
    await createFn('dep-b', { 'index.js': CJS }, { Layers: [mine.LayerVersionArn] }, user.lambda);
    assert.equal((await invoke('dep-b', user.lambda)).said, 'mine, cjs');
    // Code from S3 needs s3:GetObject on the object.
    await assert.rejects(user.lambda.send(new CreateFunctionCommand({
      FunctionName: 'dep-c', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { S3Bucket: BUCKET, S3Key: 'locked/fn.zip' },
    })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'AccessDeniedException');
      assert.equal(e.$metadata?.httpStatusCode, 403);
      assert.equal(e.message, `Your access has been denied by S3, please make sure your request credentials have permission to GetObject for ${BUCKET}/locked/fn.zip. S3 Error Code: AccessDenied. S3 Error Message: Access Denied`);
      return true;
    });
    // Without s3:ListBucket a missing object is AccessDenied too, as S3 answers it.
    await assert.rejects(user.lambda.send(new CreateFunctionCommand({
      FunctionName: 'dep-d', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { S3Bucket: BUCKET, S3Key: 'open/missing.zip' },
    })), { name: 'AccessDeniedException' });
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'open/fn.zip', Body: zipOf({ 'index.js': 'exports.handler = async () => "open";' }) }));
    await user.lambda.send(new CreateFunctionCommand({
      FunctionName: 'dep-e', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { S3Bucket: BUCKET, S3Key: 'open/fn.zip' },
    }));
    await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'dep-e' });
    assert.equal(await invoke('dep-e', user.lambda), 'open');
  } finally {
    destroyClients(user);
  }
});

test('AddLayerVersionPermission shares a version with another account, which may then read it and use it in its functions', async () => {
  const pub = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'shared', Content: { ZipFile: greetLayer('shared') } }));
  const arn = pub.LayerVersionArn as string;
  const other = await createAccount(fx.cloud.endpoint, { adminToken: fx.cloud.adminToken, accountId: '222222222222' });
  const c2 = clientsFor(fx.cloud.endpoint, other);
  try {
    await assert.rejects(c2.lambda.send(new GetLayerVersionByArnCommand({ Arn: arn })), { name: 'AccessDeniedException' });
    await assert.rejects(fx.c.lambda.send(new GetLayerVersionPolicyCommand({ LayerName: 'shared', VersionNumber: 1 })), { name: 'ResourceNotFoundException' });
    const added = await fx.c.lambda.send(new AddLayerVersionPermissionCommand({
      LayerName: 'shared', VersionNumber: 1, StatementId: 'other-account', Action: 'lambda:GetLayerVersion', Principal: '222222222222',
    }));
    assert.deepEqual(JSON.parse(added.Statement as string), {
      Sid: 'other-account', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 'lambda:GetLayerVersion', Resource: arn,
    });
    await assert.rejects(fx.c.lambda.send(new AddLayerVersionPermissionCommand({
      LayerName: 'shared', VersionNumber: 1, StatementId: 'other-account', Action: 'lambda:GetLayerVersion', Principal: '*',
    })), { name: 'ResourceConflictException' });
    await assert.rejects(fx.c.lambda.send(new AddLayerVersionPermissionCommand({
      LayerName: 'shared', VersionNumber: 1, StatementId: 'bad', Action: 'lambda:DeleteLayerVersion', Principal: '*',
    })), { name: 'ValidationException' });
    const policy = await fx.c.lambda.send(new GetLayerVersionPolicyCommand({ LayerName: 'shared', VersionNumber: 1 }));
    assert.equal(policy.RevisionId, added.RevisionId);
    assert.equal(JSON.parse(policy.Policy as string).Statement.length, 1);

    assert.equal((await c2.lambda.send(new GetLayerVersionByArnCommand({ Arn: arn }))).Version, 1);
    const role = await c2.iam.send(new CreateRoleCommand({
      RoleName: 'fn-role',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }));
    await c2.lambda.send(new CreateFunctionCommand({
      FunctionName: 'borrower', Runtime: 'nodejs20.x', Role: role.Role?.Arn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.js': CJS }) }, Layers: [arn],
    }));
    await waitUntilFunctionActiveV2({ client: c2.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'borrower' });
    assert.equal((await invoke('borrower', c2.lambda)).said, 'shared, cjs');
    // The other account cannot change the policy or delete the version.
    await assert.rejects(c2.lambda.send(new DeleteLayerVersionCommand({ LayerName: arn.replace(/:1$/, ''), VersionNumber: 1 })), { name: 'AccessDeniedException' });

    await fx.c.lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'shared', VersionNumber: 1, StatementId: 'other-account' }));
    await assert.rejects(c2.lambda.send(new GetLayerVersionByArnCommand({ Arn: arn })), { name: 'AccessDeniedException' });
    await assert.rejects(fx.c.lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: 'shared', VersionNumber: 1, StatementId: 'other-account' })), { name: 'ResourceNotFoundException' });
  } finally {
    destroyClients(c2);
  }
});

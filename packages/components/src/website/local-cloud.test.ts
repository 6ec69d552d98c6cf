/**
 * website against the real local cloud: SigV4, S3 buckets, bucket policies, the Public Access
 * Block and static website hosting answering real HTTP requests. S3 calls are counted with a
 * middleware, so "no upload" is checked on the wire.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { CreateBucketCommand, DeleteBucketCommand, PutObjectCommand, DeleteObjectsCommand, GetPublicAccessBlockCommand, HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SessionCredentials } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { strToU8, zipSync } from 'fflate';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { awsClientConfig } from '../sdk/aws-clients.js';
import type { ComponentContext } from '../sdk/component.js';
import { compactPolicyJson, maxSessionPolicyChars, permissionStatements, sessionPolicyDocument } from '../sdk/permissions.js';
import { validateInputs } from '../sdk/validate.js';
import { isAwsError } from '../sdk/aws-errors.js';
import { createCallCounter, startCloudWithAccount } from '../internal/local-cloud-testing.js';
import { createWebsiteClient } from './clients.js';
import { createWebsite } from './component.js';
import { websiteBucketName } from './names.js';

let cloud: LocalCloud;
let credentials: SessionCredentials;
const counted = createCallCounter();
const made: S3Client[] = [];
const taken = counted.taken;

function countingClient(ctx: ComponentContext): S3Client {
  const s3 = counted.count(createWebsiteClient(ctx));
  made.push(s3);
  return s3;
}

const instance = { orgId: 'org_1', appId: 'app_1', app: 'todo', stage: 'dev', name: 'site', instanceId: 'inst_site_1' };

function context(state: Record<string, unknown>, manifestId: string, files: Record<string, string>, logs: string[] = []): ComponentContext {
  return {
    credentials, region: 'us-east-1', endpoint: cloud.endpoint, instance, state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    source: { manifestId, zip: async () => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))) },
  };
}

interface Page { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** GET from the site's URL (`<bucket>.s3-website.localhost:<port>`), sent to 127.0.0.1 with that Host. */
function get(url: string, path: string): Promise<Page> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  ({ cloud, credentials } = await startCloudWithAccount('333333333333'));
});

after(async () => {
  for (const c of made) c.destroy();
  await cloud?.stop();
});

const v1 = {
  'index.html': '<h1>v1</h1>',
  '404.html': '<h1>not here</h1>',
  'assets/app-3f2a1b9c.js': 'console.log(1)',
  'old.txt': 'old',
};

test('website: create serves the folder, a no-op looks once, an update uploads only changes, spa, private, drift, remove', async () => {
  const component = createWebsite({ createClient: countingClient });
  const logs: string[] = [];

  // create
  taken();
  const inputs = validateInputs(component, { src: './dist', errorDocument: '404.html' });
  const first = await component.deploy(inputs, context({}, 'm1', v1, logs));
  const { url, bucket, arn } = first.outputs as { url: string; bucket: string; arn: string };
  assert.match(bucket, /^hangar-todo-dev-site-[0-9a-f]{8}$/);
  assert.equal(arn, `arn:aws:s3:::${bucket}`);
  assert.equal(url, `http://${bucket}.s3-website.localhost:${new URL(cloud.endpoint).port}/`);
  assert.deepEqual(taken().sort(), ['CreateBucket', 'HeadBucket', 'PutBucketPolicy', 'PutBucketTagging', 'PutBucketWebsite', 'PutObject', 'PutObject', 'PutObject', 'PutObject', 'PutPublicAccessBlock'].sort());

  const home = await get(url, '/');
  assert.equal(home.status, 200);
  assert.equal(home.body, '<h1>v1</h1>');
  assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(home.headers['cache-control'], 'no-cache');
  const asset = await get(url, '/assets/app-3f2a1b9c.js');
  assert.equal(asset.status, 200);
  assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  // Anyone may read objects, nobody may list them: S3 answers a missing key 403, with the error document.
  const missing = await get(url, '/nope');
  assert.equal(missing.status, 403);
  assert.equal(missing.body, '<h1>not here</h1>');

  // no-op: one HeadBucket, nothing written
  const same = await component.deploy(inputs, context(first.state, 'm1', v1, logs));
  assert.deepEqual(taken(), ['HeadBucket']);
  assert.deepEqual(same.outputs, first.outputs);

  // update in place: one changed, one new, one removed, two unchanged
  const v2 = { ...v1, 'index.html': '<h1>v2</h1>', 'new.css': 'body{}' } as Record<string, string>;
  delete v2['old.txt'];
  const second = await component.deploy(inputs, context(same.state, 'm2', v2, logs));
  assert.deepEqual(taken().sort(), ['DeleteObjects', 'HeadBucket', 'PutObject', 'PutObject']);
  assert.equal((await get(url, '/')).body, '<h1>v2</h1>');
  assert.equal((await get(url, '/old.txt')).status, 403);
  assert.equal((await get(url, '/new.css')).headers['content-type'], 'text/css; charset=utf-8');

  // spa: unknown paths answer with the index document
  const spa = await component.deploy(validateInputs(component, { src: './dist', spa: true }), context(second.state, 'm2', v2, logs));
  assert.deepEqual(taken(), ['HeadBucket', 'PutBucketWebsite']);
  const deep = await get(url, '/todos/42');
  assert.equal(deep.body, '<h1>v2</h1>');
  assert.equal(deep.status, 403, 'the S3 website endpoint keeps its error status for the fallback (documented)');

  // private: no website, no public read, every block on
  const priv = await component.deploy(validateInputs(component, { src: './dist', private: true }), context(spa.state, 'm2', v2, logs));
  assert.equal(priv.outputs.url, undefined);
  assert.equal((await get(url, '/')).status, 404);
  const s3 = createWebsiteClient({ credentials, region: 'us-east-1', endpoint: cloud.endpoint });
  made.push(s3);
  const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
  assert.equal(pab.PublicAccessBlockConfiguration?.BlockPublicPolicy, true);
  const back = await component.deploy(inputs, context(priv.state, 'm2', v2, logs));
  assert.equal((await get(url, '/')).status, 200);
  taken();

  // drift: the bucket is deleted behind Hangar's back, the next deploy recreates it with every file
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: (objects.Contents ?? []).map((o) => ({ Key: o.Key! })) } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  const again = await component.deploy(inputs, context(back.state, 'm2', v2, logs));
  assert.equal(taken().filter((c) => c === 'PutObject').length, 4);
  assert.ok(logs.some((l) => l.includes('is gone from AWS')));
  assert.equal((await get(url, '/')).body, '<h1>v2</h1>');
  assert.equal((await get(url, '/new.css')).status, 200);

  // remove empties and deletes the bucket; twice is fine
  await component.remove(context(again.state, 'm2', v2, logs));
  await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), (e) => isAwsError(e, 'NotFound'));
  await component.remove(context(again.state, 'm2', v2, logs));
});

test('website: checkSource refuses a missing index or error document before anything is deployed', () => {
  const component = createWebsite();
  assert.doesNotThrow(() => component.checkSource!(validateInputs(component, { src: '.' }), ['index.html']));
  assert.throws(() => component.checkSource!(validateInputs(component, { src: '.' }), ['main.html']), { code: 'WEBSITE_DOCUMENT_MISSING', message: /indexDocument is index\.html/ });
  assert.throws(() => component.checkSource!(validateInputs(component, { src: '.', errorDocument: '404.html' }), ['index.html']), { code: 'WEBSITE_DOCUMENT_MISSING', message: /errorDocument/ });
  assert.throws(() => validateInputs(component, { src: '.', spa: true, errorDocument: '404.html' }), { code: 'COMPONENT_INPUTS_INVALID' });
});

test('website: the deployment session holds only the S3 actions on its own bucket', async () => {
  const cfg = awsClientConfig({ credentials, region: 'us-east-1', endpoint: cloud.endpoint });
  const iam = new IAMClient(cfg);
  const sts = new STSClient(cfg);
  try {
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'website-deployer',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 'sts:AssumeRole' }] }),
    }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'website-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const component = createWebsite();
    const narrowInstance = { ...instance, name: 'narrow', instanceId: 'inst_site_narrow' };
    const policy = compactPolicyJson(sessionPolicyDocument(permissionStatements(component.permissions, narrowInstance))!);
    assert.ok(policy.length <= maxSessionPolicyChars, `${policy.length} characters`);
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'hangar-dep-site', Policy: policy }))).Credentials!;
    const narrowed = new SessionCredentials({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });

    const ctx = (state: Record<string, unknown>): ComponentContext => ({ ...context(state, 'n1', v1), credentials: narrowed, instance: narrowInstance });
    const deployed = await component.deploy(validateInputs(component, { src: '.' }), ctx({}));
    assert.equal((await get(deployed.outputs.url as string, '/')).body, '<h1>v1</h1>');

    // Outside its declaration: Lambda, and another bucket (which exists).
    const other = websiteBucketName({ ...instance, stage: 'prod' });
    const admin = createWebsiteClient({ credentials, region: 'us-east-1', endpoint: cloud.endpoint });
    const weak = createWebsiteClient({ credentials: narrowed, region: 'us-east-1', endpoint: cloud.endpoint });
    const lambda = new LambdaClient(awsClientConfig({ credentials: narrowed, region: 'us-east-1', endpoint: cloud.endpoint }));
    made.push(admin, weak);
    try {
      await admin.send(new CreateBucketCommand({ Bucket: other }));
      await assert.rejects(lambda.send(new ListFunctionsCommand({})), (e) => isAwsError(e, 'AccessDeniedException'));
      await assert.rejects(weak.send(new DeleteBucketCommand({ Bucket: other })), (e) => isAwsError(e, 'AccessDenied'));
      await assert.rejects(weak.send(new PutObjectCommand({ Bucket: other, Key: 'x', Body: 'x' })), (e) => isAwsError(e, 'AccessDenied'));
      // A bucket of that name exists outside the session (as one owned by another account would): HeadBucket's bare 403 is explained.
      await assert.rejects(component.deploy(validateInputs(component, { src: '.' }), { ...ctx({}), instance: { ...instance, stage: 'prod' } }),
        (e: { code?: string; message?: string }) => e.code === 'COMPONENT_AWS_ACCESS_DENIED' && /another AWS account owns a bucket of this name/.test(e.message ?? ''));
    } finally {
      lambda.destroy();
    }
    await component.remove(ctx(deployed.state));
  } finally {
    iam.destroy();
    sts.destroy();
  }
});

// Two engines on one PostgreSQL schema and one S3 blob bucket (the local cloud's), each with its
// own data dir: a source uploaded through engine 1 deploys through engine 2, and a client of
// engine 1 follows engine 2's run.
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { createTestEngine, openTestStore, parseSse, testPostgresUrl, type EngineConfig, type TestEngine, type TestStore } from '@hangar/engine';
import { createLocalAccounts, iamClient, type LocalAccounts } from './local-accounts.js';
import { linkLocalProvider } from './testing.js';

const region = 'us-east-1';
const bucket = 'hangar-blobs-shared';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('two engines, one PostgreSQL schema, one blob bucket', { skip: testPostgresUrl() ? false : 'set HANGAR_TEST_PG=postgres://postgres@127.0.0.1:5432/test to run this' }, () => {
  let cloud: LocalCloud;
  let accounts: LocalAccounts;
  let store: TestStore;
  let one: TestEngine;
  let two: TestEngine;
  let s3: S3Client;
  let base: string;
  let headers: { authorization: string };

  before(async () => {
    cloud = await startLocalCloud({ port: 0, log: () => {} });
    accounts = await createLocalAccounts(cloud.endpoint, cloud.adminToken, region);
    // The operator's part: a bucket in the engine's own account, and the engine's identity allowed to use it.
    s3 = new S3Client({ region, endpoint: cloud.endpoint, forcePathStyle: true, credentials: { accessKeyId: accounts.engineRoot.accessKeyId, secretAccessKey: accounts.engineRoot.secretAccessKey } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const iam = iamClient(cloud.endpoint, region, accounts.engineRoot);
    await iam.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'blob-bucket',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: `arn:aws:s3:::${bucket}/shared/*` },
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${bucket}` },
      ] }),
    }));
    iam.destroy();

    store = await openTestStore('postgres');
    // Engines sharing a database share the secret that encrypts the signing keys (docs/scale-out.md).
    const secretKey = randomBytes(32).toString('hex');
    const config = (workers: number): Partial<EngineConfig> => ({
      secretKey,
      aws: { region, endpoint: cloud.endpoint, credentials: accounts.engineUser },
      blobs: { kind: 's3', bucket, prefix: 'shared/', endpoint: cloud.endpoint },
      workers,
    });
    // Engine 1 only serves the API; engine 2 runs deployments.
    one = await createTestEngine({ store, config: config(0) });
    two = await createTestEngine({ store, config: config(1), seed: false });
    base = `/api/v1/orgs/${one.seed!.org.id}`;
    headers = one.auth(one.seed!.token);

    await linkLocalProvider(one, cloud, accounts.workloadRoot, { region, base, headers });
  });
  after(async () => {
    s3?.destroy();
    await two?.close();
    await one?.close();
    await store?.cleanup();
    await cloud?.stop();
  });

  test('a source uploaded through engine 1 deploys through engine 2, followed live from engine 1', async () => {
    const code = "exports.handler = async () => ({ statusCode: 200, body: 'shared blobs' });";
    const files: Record<string, string> = { 'index.js': code, 'lib/util.js': 'module.exports = 1;\n' };
    const entries: ManifestEntry[] = Object.entries(files).map(([path, c]) => ({ path, sha256: sha(c), size: Buffer.byteLength(c), mode: 0o644 }));
    const up = await one.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().missing.length, 2);
    for (const [, c] of Object.entries(files)) {
      const put = await one.app.inject({ method: 'PUT', url: `${base}/blobs/${sha(c)}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(c) });
      assert.equal(put.statusCode, 204, put.body);
      // In the bucket, not on engine 1's disk.
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `shared/blobs/${sha(c)}` }));
    }
    assert.equal(existsSync(join(one.dataDir, 'blobs')), false);

    const res = await two.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'hello', stage: 'dev', name: 'api', component: 'http-function', manifestId: manifestId(entries), inputs: { src: '.', handler: 'index.handler' } } });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().deploymentId as string;
    const stream = await one.app.inject({ url: `${base}/deployments/${id}/events`, headers });
    const events = parseSse(stream.body);
    const done = events.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'succeeded', stream.body);
    const seqs = events.filter((e) => e.event === 'log').map((e) => e.data.seq as number);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    const answer = await fetch(done.data.outputs.url as string);
    assert.equal(await answer.text(), 'shared blobs');
    // Engine 2 built the package from the bucket; it never held the blobs on its disk either.
    assert.equal(existsSync(join(two.dataDir, 'blobs')), false);
    // ...and shared the package it built.
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `shared/packages/${manifestId(entries)}.zip` }));
  });

  test('a package built by one engine is downloaded, not rebuilt, by an engine without it', async () => {
    const code = "exports.handler = async () => ({ statusCode: 200, body: 'from the shared package' });";
    const entries: ManifestEntry[] = [{ path: 'index.js', sha256: sha(code), size: Buffer.byteLength(code), mode: 0o644 }];
    const up = await one.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
    assert.equal(up.statusCode, 200, up.body);
    await one.app.inject({ method: 'PUT', url: `${base}/blobs/${sha(code)}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(code) });
    const deployOn2 = async (name: string) => {
      const res = await two.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'hello', stage: 'dev', name, component: 'http-function', manifestId: manifestId(entries), inputs: { src: '.', handler: 'index.handler' } } });
      assert.equal(res.statusCode, 202, res.body);
      const events = parseSse((await two.app.inject({ url: `${base}/deployments/${res.json().deploymentId}/events`, headers })).body);
      return events.at(-1)!.data;
    };
    assert.equal((await deployOn2('first')).status, 'succeeded');
    // Engine 2 forgets its local copy and the source file leaves the bucket: only the shared package is left.
    rmSync(join(two.dataDir, 'packages'), { recursive: true, force: true });
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `shared/blobs/${sha(code)}` }));
    const again = await deployOn2('second');
    assert.equal(again.status, 'succeeded', JSON.stringify(again));
    assert.equal(await (await fetch(again.outputs.url as string)).text(), 'from the shared package');
    assert.ok(existsSync(join(two.dataDir, 'packages', `${manifestId(entries)}.zip`)), 'kept locally once downloaded');
  });
});

// `hangar-engine check` and the blob bucket: reached, missing, or refused to the engine's identity.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { check } from './check.js';

let cloud: LocalCloud;
let root: { accessKeyId: string; secretAccessKey: string };
let stranger: { accessKeyId: string; secretAccessKey: string };
const dir = mkdtempSync(join(tmpdir(), 'hangar-check-blobs-'));

before(async () => {
  cloud = await startLocalCloud({ port: 0, log: () => {} });
  root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  const s3 = new S3Client({ region: 'us-east-1', endpoint: cloud.endpoint, forcePathStyle: true, credentials: root });
  await s3.send(new CreateBucketCommand({ Bucket: 'engine-blobs' }));
  s3.destroy();
  // An IAM user with no policy at all: S3 refuses it everything.
  const iam = new IAMClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials: root });
  await iam.send(new CreateUserCommand({ UserName: 'no-s3' }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'no-s3' }))).AccessKey!;
  stranger = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  iam.destroy();
});
after(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(blobUrl: string, key = root): Promise<string> {
  let out = '';
  await check({
    env: { HOME: dir, HANGAR_DATA_DIR: dir, HANGAR_AWS_ENDPOINT: cloud.endpoint, HANGAR_ENGINE_ACCESS_KEY_ID: key.accessKeyId, HANGAR_ENGINE_SECRET_ACCESS_KEY: key.secretAccessKey, HANGAR_BLOB_URL: blobUrl },
    stdout: { write: (t: string) => { out += t; } },
    stderr: { write: () => {} },
  });
  return out;
}

test('a bucket the engine can use is reported as reached', async () => {
  assert.match(await run('s3://engine-blobs/prod'), new RegExp(`✔ blobs: bucket s3://engine-blobs/prod/ at ${cloud.endpoint} reached with the engine's identity`));
});

test('a missing bucket fails the check and says to create it', async () => {
  assert.match(await run('s3://no-such-bucket-here/prod'), /✖ blobs: bucket s3:\/\/no-such-bucket-here\/prod\/ .*: the bucket no-such-bucket-here does not exist; create it/);
});

test('an identity S3 refuses fails the check and names the permissions to grant', async () => {
  assert.match(await run('s3://engine-blobs/prod', stranger), /✖ blobs: bucket s3:\/\/engine-blobs\/prod\/ .*: the engine's identity may not use it \(.+\); grant it s3:ListBucket/);
});

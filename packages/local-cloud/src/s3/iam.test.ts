import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import {
  CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand,
  GetBucketLocationCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
  PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount, type Creds } from '../test-support.js';
import { s3, startS3Cloud, text } from './test-support.js';

describe('S3 authorisation with IAM', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let admin: S3Client;
  let reader: S3Client;
  let readerCreds: Creds;
  const B = 'iam-bucket';
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
    admin = s3(cloud.endpoint, root);
    await admin.send(new CreateBucketCommand({ Bucket: B }));
    await admin.send(new PutObjectCommand({ Bucket: B, Key: 'public/readme.txt', Body: 'readable' }));
    await admin.send(new PutObjectCommand({ Bucket: B, Key: 'private/secret.txt', Body: 'secret' }));
    const iam = iamClient(cloud.endpoint, root);
    await iam.send(new CreateRoleCommand({ RoleName: 'reader', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    await iam.send(new PutRolePolicyCommand({
      RoleName: 'reader', PolicyName: 'get-public',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/public/*` }] }),
    }));
    const out = await stsClient(cloud.endpoint, root).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/reader', RoleSessionName: 's3-test' }));
    readerCreds = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    reader = s3(cloud.endpoint, readerCreds);
  });
  after(() => cloud.stop());

  it('lets a role allowed only s3:GetObject on one prefix read there', async () => {
    assert.equal(await text((await reader.send(new GetObjectCommand({ Bucket: B, Key: 'public/readme.txt' }))).Body), 'readable');
    assert.equal((await reader.send(new HeadObjectCommand({ Bucket: B, Key: 'public/readme.txt' }))).ContentLength, 8);
    // A presigned URL carries the session's rights (and its token).
    const url = await getSignedUrl(reader, new GetObjectCommand({ Bucket: B, Key: 'public/readme.txt' }), { expiresIn: 60 });
    assert.equal(await (await fetch(url)).text(), 'readable');
  });

  it('refuses that role everything else, with AccessDenied', async () => {
    const e = await rejectsWith(reader.send(new GetObjectCommand({ Bucket: B, Key: 'private/secret.txt' })), 'AccessDenied', 403);
    assert.match(e.message, /assumed-role\/reader\/s3-test is not authorized to perform: s3:GetObject on resource: "?arn:aws:s3:::iam-bucket\/private\/secret.txt/);
    // Without s3:ListBucket a missing key is not told apart from a forbidden one.
    await rejectsWith(reader.send(new GetObjectCommand({ Bucket: B, Key: 'public/missing.txt' })), 'AccessDenied', 403);
    const denied: [string, () => Promise<unknown>][] = [
      ['PutObject', () => reader.send(new PutObjectCommand({ Bucket: B, Key: 'public/new.txt', Body: 'x' }))],
      ['DeleteObject', () => reader.send(new DeleteObjectCommand({ Bucket: B, Key: 'public/readme.txt' }))],
      ['ListObjectsV2', () => reader.send(new ListObjectsV2Command({ Bucket: B, Prefix: 'public/' }))],
      ['ListBuckets', () => reader.send(new ListBucketsCommand({}))],
      ['CreateBucket', () => reader.send(new CreateBucketCommand({ Bucket: 'reader-bucket' }))],
      ['DeleteBucket', () => reader.send(new DeleteBucketCommand({ Bucket: B }))],
      ['GetBucketLocation', () => reader.send(new GetBucketLocationCommand({ Bucket: B }))],
      ['CopyObject', () => reader.send(new CopyObjectCommand({ Bucket: B, Key: 'public/copy.txt', CopySource: `${B}/public/readme.txt` }))],
      ['CreateMultipartUpload', () => reader.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'public/mp.bin' }))],
      ['ListMultipartUploads', () => reader.send(new ListMultipartUploadsCommand({ Bucket: B }))],
    ];
    for (const [op, p] of denied) {
      const err = await rejectsWith(p(), 'AccessDenied', 403).catch((x: Error) => { throw new Error(`${op}: ${x.message}`); });
      assert.ok(err);
    }
    const head = await reader.send(new HeadObjectCommand({ Bucket: B, Key: 'private/secret.txt' })).catch((x: { $metadata?: { httpStatusCode?: number } }) => x);
    assert.equal((head as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 403);
    // DeleteObjects answers 200 with a per-key AccessDenied, as S3 does.
    const many = await reader.send(new DeleteObjectsCommand({ Bucket: B, Delete: { Objects: [{ Key: 'public/readme.txt' }] } }));
    assert.equal(many.Errors?.[0]?.Code, 'AccessDenied');
    assert.equal(await text((await admin.send(new GetObjectCommand({ Bucket: B, Key: 'public/readme.txt' }))).Body), 'readable', 'nothing was deleted');
  });
});

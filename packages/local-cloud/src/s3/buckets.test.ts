import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetBucketLocationCommand, GetObjectCommand, HeadBucketCommand,
  ListBucketsCommand, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { advanceClock, createAccount, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, signedFetch, stsClient, trustAccount, type Creds } from '../test-support.js';
import { bucketNameProblem } from './names.js';
import { s3, s3VirtualHosted, startS3Cloud, text } from './test-support.js';

describe('S3 buckets', () => {
  let cloud: LocalCloud;
  let root: Creds;
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
  });
  after(() => cloud.stop());

  it('creates, heads, lists and deletes a bucket path-style', async () => {
    const c = s3(cloud.endpoint, root);
    const created = await c.send(new CreateBucketCommand({ Bucket: 'alpha-bucket' }));
    assert.equal(created.Location, '/alpha-bucket');
    const head = await c.send(new HeadBucketCommand({ Bucket: 'alpha-bucket' }));
    assert.equal(head.BucketRegion, 'us-east-1');
    const list = await c.send(new ListBucketsCommand({}));
    assert.deepEqual(list.Buckets?.map((b) => b.Name), ['alpha-bucket']);
    assert.ok(list.Buckets?.[0]?.CreationDate instanceof Date);
    assert.match(list.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
    const loc = await c.send(new GetBucketLocationCommand({ Bucket: 'alpha-bucket' }));
    assert.equal(loc.LocationConstraint, undefined, 'us-east-1 has an empty location constraint');
    await c.send(new DeleteBucketCommand({ Bucket: 'alpha-bucket' }));
    await rejectsWith(c.send(new HeadBucketCommand({ Bucket: 'alpha-bucket' })), 'NotFound', 404);
    const e = await rejectsWith(c.send(new DeleteBucketCommand({ Bucket: 'alpha-bucket' })), 'NoSuchBucket', 404);
    assert.equal((e as unknown as { BucketName?: string }).BucketName, 'alpha-bucket');
  });

  it('honours the region constraint as S3 does', async () => {
    const eu = s3(cloud.endpoint, root, { region: 'eu-west-1' });
    await eu.send(new CreateBucketCommand({ Bucket: 'euro-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const loc = await eu.send(new GetBucketLocationCommand({ Bucket: 'euro-bucket' }));
    assert.equal(loc.LocationConstraint, 'eu-west-1');
    // (The SDK adds the client's region as LocationConstraint when none is given.)
    // A constraint not matching the endpoint's region, or an explicit us-east-1.
    await rejectsWith(s3(cloud.endpoint, root).send(new CreateBucketCommand({ Bucket: 'euro-bucket-3', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })), 'IllegalLocationConstraintException', 400);
    await rejectsWith(s3(cloud.endpoint, root).send(new CreateBucketCommand({ Bucket: 'euro-bucket-4', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' as 'eu-west-1' } })), 'InvalidLocationConstraint', 400);
    // A request for the bucket signed for the wrong region names the right one.
    const e = await rejectsWith(s3(cloud.endpoint, root).send(new PutObjectCommand({ Bucket: 'euro-bucket', Key: 'k', Body: 'x' })), 'AuthorizationHeaderMalformed', 400);
    assert.match(e.message, /expecting 'eu-west-1'/);
    const head = await eu.send(new HeadBucketCommand({ Bucket: 'euro-bucket' }));
    assert.equal(head.BucketRegion, 'eu-west-1');
    await eu.send(new DeleteBucketCommand({ Bucket: 'euro-bucket' }));
  });

  it('answers BucketAlreadyOwnedByYou, BucketAlreadyExists and 200 for a us-east-1 re-create', async () => {
    const c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: 'owned-twice' }));
    await c.send(new CreateBucketCommand({ Bucket: 'owned-twice' })); // us-east-1 legacy: 200
    const eu = s3(cloud.endpoint, root, { region: 'eu-west-1' });
    await eu.send(new CreateBucketCommand({ Bucket: 'owned-twice-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await rejectsWith(eu.send(new CreateBucketCommand({ Bucket: 'owned-twice-eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })), 'BucketAlreadyOwnedByYou', 409);
    const other = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '222222222222' });
    await rejectsWith(s3(cloud.endpoint, other).send(new CreateBucketCommand({ Bucket: 'owned-twice' })), 'BucketAlreadyExists', 409);
    // Another account neither sees nor touches the bucket.
    assert.deepEqual((await s3(cloud.endpoint, other).send(new ListBucketsCommand({}))).Buckets ?? [], []);
    const head = await s3(cloud.endpoint, other).send(new HeadBucketCommand({ Bucket: 'owned-twice' })).catch((e: { $metadata?: { httpStatusCode?: number } }) => e);
    assert.equal((head as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 403);
    await rejectsWith(s3(cloud.endpoint, other).send(new PutObjectCommand({ Bucket: 'owned-twice', Key: 'k', Body: 'x' })), 'AccessDenied', 403);
  });

  it('deletes a bucket only when empty', async () => {
    const c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: 'full-bucket' }));
    await c.send(new PutObjectCommand({ Bucket: 'full-bucket', Key: 'a.txt', Body: 'a' }));
    const e = await rejectsWith(c.send(new DeleteBucketCommand({ Bucket: 'full-bucket' })), 'BucketNotEmpty', 409);
    assert.match(e.message, /not empty/);
    await c.send(new DeleteObjectCommand({ Bucket: 'full-bucket', Key: 'a.txt' }));
    await c.send(new DeleteBucketCommand({ Bucket: 'full-bucket' }));
  });

  it('validates bucket names like AWS', async () => {
    const c = s3(cloud.endpoint, root);
    for (const bad of ['ab', 'UpperCase', 'under_score', '-leading', 'trailing-', 'two..dots', '192.168.1.1', 'xn--punycode', 'sthree-x', 'x-s3alias', 'a'.repeat(64)]) {
      assert.ok(bucketNameProblem(bad), `${bad} is invalid`);
      const e = await rejectsWith(c.send(new CreateBucketCommand({ Bucket: bad })), 'InvalidBucketName', 400);
      assert.match(e.message, /not valid/);
    }
    for (const good of ['abc', 'my.bucket-1', 'a'.repeat(63), '1bucket']) assert.equal(bucketNameProblem(good), undefined, good);
  });

  it('serves virtual-hosted requests (<bucket>.s3.localhost:<port>)', async () => {
    const c = s3VirtualHosted(cloud.port, root);
    await c.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
    await c.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt', Body: 'hello vhost' }));
    const got = await c.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }));
    assert.equal(await text(got.Body), 'hello vhost');
    // The same object path-style.
    const same = await s3(cloud.endpoint, root).send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/file.txt' }));
    assert.equal(await text(same.Body), 'hello vhost');
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'missing' })), 'NoSuchKey', 404);
  });

  it('serves the /_aws/s3 path prefix for tools that cannot set a Host', async () => {
    const c = s3(`${cloud.endpoint}/_aws/s3`, root);
    await c.send(new CreateBucketCommand({ Bucket: 'prefix-bucket' }));
    await c.send(new PutObjectCommand({ Bucket: 'prefix-bucket', Key: 'k.txt', Body: 'via prefix' }));
    const got = await s3(cloud.endpoint, root).send(new GetObjectCommand({ Bucket: 'prefix-bucket', Key: 'k.txt' }));
    assert.equal(await text(got.Body), 'via prefix');
    // Unsigned requests there are anonymous: refused without a policy that allows them.
    const anon = await fetch(`${cloud.endpoint}/_aws/s3/prefix-bucket/k.txt`);
    assert.equal(anon.status, 403);
    assert.match(await anon.text(), /<Code>AccessDenied<\/Code>/);
  });

  it('answers S3 authentication failures with S3\'s codes', async () => {
    const unknown = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: root.secretAccessKey };
    await rejectsWith(s3(cloud.endpoint, unknown).send(new ListBucketsCommand({})), 'InvalidAccessKeyId', 403);
    const wrong = { accessKeyId: root.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    await rejectsWith(s3(cloud.endpoint, wrong).send(new ListBucketsCommand({})), 'SignatureDoesNotMatch', 403);
    await rejectsWith(s3(cloud.endpoint, root, { systemClockOffset: -3600_000 }).send(new ListBucketsCommand({})), 'RequestTimeTooSkewed', 403);
    // A raw request with a body whose hash does not match its declared x-amz-content-sha256.
    await s3(cloud.endpoint, root).send(new CreateBucketCommand({ Bucket: 'hash-bucket' }));
    const res = await signedFetch(cloud.endpoint, root, {
      service: 's3', method: 'PUT', path: '/hash-bucket/k', body: 'abc',
      headers: { 'x-amz-content-sha256': '0'.repeat(64), 'content-length': '3' },
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /XAmzContentSHA256Mismatch/);
  });

  // Last: it moves the server clock.
  it('refuses an expired presigned URL and expired session credentials', async () => {
    const c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: 'expiry-bucket' }));
    await c.send(new PutObjectCommand({ Bucket: 'expiry-bucket', Key: 'k.txt', Body: 'soon gone' }));
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'expiry-bucket', Key: 'k.txt' }), { expiresIn: 60 });
    assert.equal(await (await fetch(url)).text(), 'soon gone');
    const iam = iamClient(cloud.endpoint, root);
    await iam.send(new CreateRoleCommand({ RoleName: 'short', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    const out = await stsClient(cloud.endpoint, root).send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/short', RoleSessionName: 'short', DurationSeconds: 900 }));
    const session = s3(cloud.endpoint, { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! });
    await advanceClock(cloud.endpoint, 3600, { adminToken: cloud.adminToken });
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
    await rejectsWith(session.send(new ListBucketsCommand({})), 'ExpiredToken', 400);
  });
});

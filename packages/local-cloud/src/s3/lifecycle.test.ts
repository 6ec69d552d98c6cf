import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutBucketLifecycleConfigurationCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { advanceClock, type LocalCloud } from '../index.js';
import { rejectsWith, type Creds } from '../test-support.js';
import { s3, startS3Cloud } from './test-support.js';

describe('S3 lifecycle expiration', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: S3Client;
  const B = 'lifecycle-bucket';
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
    c = s3(cloud.endpoint, root);
    await c.send(new CreateBucketCommand({ Bucket: B }));
  });
  after(() => cloud.stop());

  it('expires objects under a prefix after their days, on the server clock, and aborts stale uploads', async () => {
    await rejectsWith(c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), 'NoSuchLifecycleConfiguration', 404);
    await c.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: B, LifecycleConfiguration: {
        Rules: [
          { ID: 'tmp-1-day', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
          { ID: 'uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
        ],
      },
    }));
    const rules = (await c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B }))).Rules;
    assert.deepEqual(rules?.map((r) => [r.ID, r.Status, r.Expiration?.Days]), [['tmp-1-day', 'Enabled', 1], ['uploads', 'Enabled', undefined]]);
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'tmp/scratch.txt', Body: 'temporary' }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'keep/forever.txt', Body: 'kept' }));
    await c.send(new CreateMultipartUploadCommand({ Bucket: B, Key: 'big.bin' }));
    const head = await c.send(new HeadObjectCommand({ Bucket: B, Key: 'tmp/scratch.txt' }));
    assert.match(head.Expiration ?? '', /^expiry-date="[^"]+ 00:00:00 GMT", rule-id="tmp-1-day"$/);
    await advanceClock(cloud.endpoint, 3 * 86_400, { adminToken: cloud.adminToken });
    // The SDK corrects its clock from the Date header of RequestTimeTooSkewed and retries.
    c = s3(cloud.endpoint, root, { maxAttempts: 3 });
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'tmp/scratch.txt' })), 'NoSuchKey', 404);
    const left = await c.send(new ListObjectsV2Command({ Bucket: B }));
    assert.deepEqual(left.Contents?.map((o) => o.Key), ['keep/forever.txt']);
    assert.equal((await c.send(new ListMultipartUploadsCommand({ Bucket: B }))).Uploads, undefined);
    await rejectsWith(c.send(new PutBucketLifecycleConfigurationCommand({
      Bucket: B, LifecycleConfiguration: { Rules: [{ ID: 'bad', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 0 } }] },
    })), 'InvalidArgument', 400);
    await c.send(new DeleteBucketLifecycleCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetBucketLifecycleConfigurationCommand({ Bucket: B })), 'NoSuchLifecycleConfiguration', 404);
  });
});

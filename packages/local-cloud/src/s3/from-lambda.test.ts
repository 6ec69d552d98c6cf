/**
 * A function reads and writes a bucket through the unmodified SDK v3 S3 client bundled with the
 * runtime, with its execution role's credentials and the endpoint the sandbox is given (no
 * forcePathStyle: an IP endpoint is path-style for the SDK). The role reaches only its prefix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { fixture, zipOf, type Fixture, closeFixture } from '../lambda/test-support.js';
import { s3, text } from './test-support.js';

const HANDLER = `
const { S3Client, GetObjectCommand, PutObjectCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({});
exports.handler = async (event) => {
  try {
    const input = await s3.send(new GetObjectCommand({ Bucket: event.bucket, Key: event.from }));
    const body = (await input.Body.transformToString()).toUpperCase();
    const put = await s3.send(new PutObjectCommand({ Bucket: event.bucket, Key: event.to, Body: body, ContentType: 'text/plain' }));
    return { ok: true, etag: put.ETag };
  } catch (e) {
    return { ok: false, error: e.name, status: e.$metadata && e.$metadata.httpStatusCode };
  }
};
`;

describe('S3 from a Lambda function with its execution role', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
    await fx.c.iam.send(new PutRolePolicyCommand({
      RoleName: 'fn-role', PolicyName: 'bucket-prefix',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::fn-bucket/work/*' }],
      }),
    }));
    const admin = s3(fx.cloud.endpoint, fx.root);
    await admin.send(new CreateBucketCommand({ Bucket: 'fn-bucket' }));
    await admin.send(new PutObjectCommand({ Bucket: 'fn-bucket', Key: 'work/in.txt', Body: 'shout this' }));
    await admin.send(new PutObjectCommand({ Bucket: 'fn-bucket', Key: 'secret/in.txt', Body: 'not yours' }));
    await fx.c.lambda.send(new CreateFunctionCommand({
      FunctionName: 's3-fn', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.js': HANDLER }) }, Timeout: 30,
    }));
    await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: 's3-fn' });
  });
  after(async () => {
    await closeFixture(fx);
  });

  const run = async (event: Record<string, string>): Promise<{ ok: boolean; error?: string; status?: number; etag?: string }> => {
    const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 's3-fn', Payload: Buffer.from(JSON.stringify({ bucket: 'fn-bucket', ...event })) }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    return JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as { ok: boolean; error?: string; status?: number };
  };

  it('reads and writes under its prefix', { timeout: 60_000 }, async () => {
    const r = await run({ from: 'work/in.txt', to: 'work/out.txt' });
    assert.equal(r.ok, true, JSON.stringify(r));
    const got = await s3(fx.cloud.endpoint, fx.root).send(new GetObjectCommand({ Bucket: 'fn-bucket', Key: 'work/out.txt' }));
    assert.equal(await text(got.Body), 'SHOUT THIS');
    assert.equal(got.ETag, r.etag);
  });

  it('is refused outside it', { timeout: 60_000 }, async () => {
    assert.deepEqual(await run({ from: 'secret/in.txt', to: 'work/x.txt' }), { ok: false, error: 'AccessDenied', status: 403 });
    assert.deepEqual(await run({ from: 'work/in.txt', to: 'secret/out.txt' }), { ok: false, error: 'AccessDenied', status: 403 });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, DeleteBucketCorsCommand, DeleteBucketPolicyCommand, DeleteBucketTaggingCommand, DeletePublicAccessBlockCommand,
  GetBucketCorsCommand, GetBucketPolicyCommand, GetBucketTaggingCommand, GetBucketWebsiteCommand, GetObjectCommand, GetObjectTaggingCommand,
  GetPublicAccessBlockCommand, HeadObjectCommand, PutBucketCorsCommand, PutBucketPolicyCommand, PutBucketTaggingCommand,
  PutBucketWebsiteCommand, PutObjectCommand, DeleteObjectCommand, PutObjectTaggingCommand, PutPublicAccessBlockCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { createAccount, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount, type Creds } from '../test-support.js';
import { s3, startS3Cloud, text } from './test-support.js';

const publicRead = (bucket: string): string => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
});

/** A raw request with a chosen Host header (fetch cannot set Host). */
async function rawGet(port: number, host: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('S3 bucket policy, Public Access Block, tagging, CORS and websites', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: S3Client;
  before(async () => {
    ({ cloud, root } = await startS3Cloud());
    c = s3(cloud.endpoint, root);
  });
  after(() => cloud.stop());

  it('blocks public access by default; a public policy then serves anonymous reads', async () => {
    const B = 'public-bucket';
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'hello.txt', Body: 'public hello' }));
    const pab = await c.send(new GetPublicAccessBlockCommand({ Bucket: B }));
    assert.deepEqual(pab.PublicAccessBlockConfiguration, { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const blocked = await rejectsWith(c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: publicRead(B) })), 'AccessDenied', 403);
    assert.match(blocked.message, /BlockPublicPolicy/);
    await rejectsWith(c.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
    assert.equal((await fetch(`${cloud.endpoint}/_aws/s3/${B}/hello.txt`)).status, 403);

    await c.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetPublicAccessBlockCommand({ Bucket: B })), 'NoSuchPublicAccessBlockConfiguration', 404);
    await c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: publicRead(B) }));
    assert.equal(JSON.parse((await c.send(new GetBucketPolicyCommand({ Bucket: B }))).Policy!).Statement[0].Sid, 'PublicRead');
    const anon = await fetch(`${cloud.endpoint}/_aws/s3/${B}/hello.txt`);
    assert.equal(anon.status, 200);
    assert.equal(await anon.text(), 'public hello');
    const vhost = await rawGet(cloud.port, `${B}.s3.localhost:${cloud.port}`, '/hello.txt');
    assert.equal(vhost.body, 'public hello');
    // Reading is public; writing and listing are not.
    const put = await fetch(`${cloud.endpoint}/_aws/s3/${B}/new.txt`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 403);
    assert.equal((await fetch(`${cloud.endpoint}/_aws/s3/${B}?list-type=2`)).status, 403);
    // Another account reads it too; RestrictPublicBuckets takes that back.
    const other = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '222222222222' });
    assert.equal(await text((await s3(cloud.endpoint, other).send(new GetObjectCommand({ Bucket: B, Key: 'hello.txt' }))).Body), 'public hello');
    await c.send(new PutPublicAccessBlockCommand({ Bucket: B, PublicAccessBlockConfiguration: { RestrictPublicBuckets: true } }));
    assert.equal((await fetch(`${cloud.endpoint}/_aws/s3/${B}/hello.txt`)).status, 403);
    await rejectsWith(s3(cloud.endpoint, other).send(new GetObjectCommand({ Bucket: B, Key: 'hello.txt' })), 'AccessDenied', 403);
    await c.send(new DeleteBucketPolicyCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetBucketPolicyCommand({ Bucket: B })), 'NoSuchBucketPolicy', 404);
    await rejectsWith(c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: '{"Statement": 3' })), 'MalformedPolicy', 400);
    await rejectsWith(c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` }] }) })), 'MalformedPolicy', 400);
  });

  it('a bucket policy can grant a role more, and an explicit deny there wins over its own policies', async () => {
    const B = 'granted-bucket';
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'a.txt', Body: 'a' }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'locked/b.txt', Body: 'b' }));
    const iam = iamClient(cloud.endpoint, root);
    await iam.send(new CreateRoleCommand({ RoleName: 'app', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'app', PolicyName: 'all-s3', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }) }));
    await iam.send(new CreateRoleCommand({ RoleName: 'bare', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    const assume = async (role: string): Promise<S3Client> => {
      const out = await stsClient(cloud.endpoint, root).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::111111111111:role/${role}`, RoleSessionName: 'cfg' }));
      return s3(cloud.endpoint, { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! });
    };
    const app = await assume('app');
    const bare = await assume('bare');
    await rejectsWith(bare.send(new GetObjectCommand({ Bucket: B, Key: 'a.txt' })), 'AccessDenied', 403);
    await c.send(new PutBucketPolicyCommand({
      Bucket: B, Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/bare' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` },
          { Effect: 'Deny', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/locked/*` },
        ],
      }),
    }));
    assert.equal(await text((await bare.send(new GetObjectCommand({ Bucket: B, Key: 'a.txt' }))).Body), 'a');
    assert.equal(await text((await app.send(new GetObjectCommand({ Bucket: B, Key: 'a.txt' }))).Body), 'a');
    const denied = await rejectsWith(app.send(new GetObjectCommand({ Bucket: B, Key: 'locked/b.txt' })), 'AccessDenied', 403);
    assert.match(denied.message, /explicit deny in a resource-based policy/);
    await rejectsWith(c.send(new GetObjectCommand({ Bucket: B, Key: 'locked/b.txt' })), 'AccessDenied', 403);
  });

  it('tags buckets and objects', async () => {
    const B = 'tagged-bucket';
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetBucketTaggingCommand({ Bucket: B })), 'NoSuchTagSet', 404);
    await c.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: [{ Key: 'team', Value: 'web' }, { Key: 'env', Value: 'dev' }] } }));
    assert.deepEqual((await c.send(new GetBucketTaggingCommand({ Bucket: B }))).TagSet, [{ Key: 'team', Value: 'web' }, { Key: 'env', Value: 'dev' }]);
    await rejectsWith(c.send(new PutBucketTaggingCommand({ Bucket: B, Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } })), 'InvalidTag', 400);
    await c.send(new DeleteBucketTaggingCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetBucketTaggingCommand({ Bucket: B })), 'NoSuchTagSet', 404);
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'o.txt', Body: 'o', Tagging: 'color=blue&size=small' }));
    assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'o.txt' }))).TagSet, [{ Key: 'color', Value: 'blue' }, { Key: 'size', Value: 'small' }]);
    assert.equal((await c.send(new HeadObjectCommand({ Bucket: B, Key: 'o.txt' }))).TagCount, 2);
    await c.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'o.txt', Tagging: { TagSet: [{ Key: 'k', Value: 'v' }] } }));
    assert.deepEqual((await c.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'o.txt' }))).TagSet, [{ Key: 'k', Value: 'v' }]);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejectsWith(c.send(new PutObjectTaggingCommand({ Bucket: B, Key: 'o.txt', Tagging: { TagSet: eleven } })), 'BadRequest', 400);
    await rejectsWith(c.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'missing' })), 'NoSuchKey', 404);
  });

  it('stores CORS rules and answers preflights from them', async () => {
    const B = 'cors-bucket';
    await c.send(new CreateBucketCommand({ Bucket: B }));
    const pre = (origin: string, method: string, headers = ''): Promise<Response> => fetch(`${cloud.endpoint}/${B}/file.txt`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
    });
    const none = await pre('http://app.example', 'GET');
    assert.equal(none.status, 403);
    assert.match(await none.text(), /CORS is not enabled for this bucket/);
    await rejectsWith(c.send(new GetBucketCorsCommand({ Bucket: B })), 'NoSuchCORSConfiguration', 404);
    await c.send(new PutBucketCorsCommand({
      Bucket: B, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://app.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 600 }] },
    }));
    const rules = (await c.send(new GetBucketCorsCommand({ Bucket: B }))).CORSRules;
    assert.deepEqual(rules?.[0]?.AllowedMethods, ['GET', 'PUT']);
    const ok = await pre('http://app.example', 'PUT', 'content-type,x-amz-date');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal(ok.headers.get('access-control-allow-methods'), 'GET, PUT');
    assert.equal(ok.headers.get('access-control-allow-headers'), 'content-type, x-amz-date');
    assert.equal(ok.headers.get('access-control-max-age'), '600');
    assert.equal((await pre('http://evil.example', 'GET')).status, 403);
    assert.equal((await pre('http://app.example', 'DELETE')).status, 403);
    // An actual (signed) request from that origin gets the CORS headers; another origin does not.
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'file.txt', Body: 'cors' }));
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: B, Key: 'file.txt' }), { expiresIn: 60 });
    const fromApp = await fetch(url, { headers: { origin: 'http://app.example' } });
    assert.equal(await fromApp.text(), 'cors');
    assert.equal(fromApp.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.equal(fromApp.headers.get('access-control-expose-headers'), 'ETag');
    const fromEvil = await fetch(url, { headers: { origin: 'http://evil.example' } });
    assert.equal(fromEvil.headers.get('access-control-allow-origin'), null);
    await rejectsWith(c.send(new PutBucketCorsCommand({ Bucket: B, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })), 'InvalidRequest', 400);
    await c.send(new DeleteBucketCorsCommand({ Bucket: B }));
    await rejectsWith(c.send(new GetBucketCorsCommand({ Bucket: B })), 'NoSuchCORSConfiguration', 404);
  });

  it('serves a website with index and error documents only when a public policy allows it', async () => {
    const B = 'site-bucket';
    await c.send(new CreateBucketCommand({ Bucket: B }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'index.html', Body: '<h1>home</h1>', ContentType: 'text/html' }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: 'docs/index.html', Body: '<h1>docs</h1>', ContentType: 'text/html' }));
    await c.send(new PutObjectCommand({ Bucket: B, Key: '404.html', Body: '<h1>lost</h1>', ContentType: 'text/html' }));
    const host = `${B}.s3-website.localhost:${cloud.port}`;
    const noConfig = await rawGet(cloud.port, host, '/');
    assert.equal(noConfig.status, 404);
    assert.match(noConfig.body, /NoSuchWebsiteConfiguration/);
    await c.send(new PutBucketWebsiteCommand({ Bucket: B, WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: '404.html' } } }));
    assert.equal((await c.send(new GetBucketWebsiteCommand({ Bucket: B }))).IndexDocument?.Suffix, 'index.html');
    const forbidden = await rawGet(cloud.port, host, '/');
    assert.equal(forbidden.status, 403, 'without a public policy the website answers 403');
    assert.match(forbidden.body, /AccessDenied/);
    await c.send(new DeletePublicAccessBlockCommand({ Bucket: B }));
    await c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: publicRead(B) }));
    const home = await rawGet(cloud.port, host, '/');
    assert.equal(home.status, 200);
    assert.equal(home.body, '<h1>home</h1>');
    assert.equal(home.headers['content-type'], 'text/html');
    assert.equal((await rawGet(cloud.port, host, '/docs/')).body, '<h1>docs</h1>');
    const folder = await rawGet(cloud.port, host, '/docs');
    assert.equal(folder.status, 302);
    assert.equal(folder.headers.location, '/docs/');
    // Anyone may GetObject but not ListBucket: a missing key is 403 (S3 does not reveal which keys
    // exist), and the error document is served with that status.
    const lost = await rawGet(cloud.port, host, '/nowhere.html');
    assert.equal(lost.status, 403);
    assert.equal(lost.body, '<h1>lost</h1>');
    await c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${B}/*` },
      { Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${B}` },
    ] }) }));
    const listed = await rawGet(cloud.port, host, '/nowhere.html');
    assert.equal(listed.status, 404, 'with s3:ListBucket public, a missing key is 404');
    assert.equal(listed.body, '<h1>lost</h1>');
    await c.send(new DeleteObjectCommand({ Bucket: B, Key: '404.html' }));
    assert.match((await rawGet(cloud.port, host, '/nowhere.html')).body, /NoSuchKey/);
    await c.send(new PutBucketPolicyCommand({ Bucket: B, Policy: publicRead(B) }));
    assert.match((await rawGet(cloud.port, host, '/nowhere.html')).body, /AccessDenied/);
    assert.equal((await rawGet(cloud.port, host, '/', 'POST')).status, 405);
    // The path-style fallback for clients that cannot set a Host.
    const fallback = await fetch(`${cloud.endpoint}/_aws/s3-website/${B}/docs/`);
    assert.equal(await fallback.text(), '<h1>docs</h1>');
    assert.equal((await rawGet(cloud.port, `no-such-site.s3-website.localhost:${cloud.port}`, '/')).status, 404);
    await rejectsWith(c.send(new PutBucketWebsiteCommand({ Bucket: B, WebsiteConfiguration: { IndexDocument: { Suffix: 'a/b.html' } } })), 'InvalidArgument', 400);
    // Redirect-all sends every path to another host.
    await c.send(new PutBucketWebsiteCommand({ Bucket: B, WebsiteConfiguration: { RedirectAllRequestsTo: { HostName: 'www.example.com', Protocol: 'https' } } }));
    const moved = await rawGet(cloud.port, host, '/a/page.html');
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://www.example.com/a/page.html');
  });
});

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AwsError, createAccount, startLocalCloud, type LocalCloud, type ServiceFactory } from '../index.js';
import { form, rejectsWith, signedFetch, stsClient, type Creds } from '../test-support.js';

const broken: ServiceFactory = () => ({
  service: {
    signingName: 'lambda', protocol: 'rest-json',
    handle: async (req) => {
      if (req.path.endsWith('/aws-error')) throw new AwsError('ResourceNotFoundException', 'Function not found: x', 404);
      throw new Error('a bug inside a service');
    },
  },
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => { out += d.toString(); });
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('malformed input gets AWS-shaped errors and the process survives', () => {
  let cloud: LocalCloud;
  let root: Creds;
  const logged: string[] = [];
  before(async () => {
    cloud = await startLocalCloud({ port: 0, services: [broken], maxBodyBytes: 64 * 1024, log: (l) => logged.push(l) });
    root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  });
  after(() => cloud.stop());

  it('unknown query actions: InvalidAction in an XML ErrorResponse with a request id', async () => {
    const res = await signedFetch(cloud.endpoint, root, { service: 'iam', ...form({ Action: 'LaunchRockets', Version: '2010-05-08' }) });
    assert.equal(res.status, 400);
    const requestId = res.headers.get('x-amzn-requestid');
    assert.ok(requestId);
    const body = await res.text();
    assert.match(body, /^<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation LaunchRockets for version 2010-05-08<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    assert.ok(body.includes(requestId));
    const sts = await signedFetch(cloud.endpoint, root, { service: 'sts', ...form({ Action: 'GetFederationTokenz' }) });
    assert.match(await sts.text(), /<Code>InvalidAction<\/Code>/);
  });

  it('a body that is not a form, and a missing action', async () => {
    const res = await signedFetch(cloud.endpoint, root, { service: 'sts', body: '\u0000\u00ff<xml>not a form', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>MissingAction<\/Code>/);
  });

  it('unsigned and badly signed requests', async () => {
    const unsigned = await fetch(cloud.endpoint, { method: 'POST', ...form({ Action: 'GetCallerIdentity', Version: '2011-06-15' }) });
    assert.equal(unsigned.status, 403);
    assert.match(await unsigned.text(), /<Code>MissingAuthenticationToken<\/Code>/);
    const garbage = await fetch(cloud.endpoint, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 nonsense', 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity' });
    assert.equal(garbage.status, 400);
    assert.match(await garbage.text(), /<Code>IncompleteSignature<\/Code>/);
    const basic = await fetch(cloud.endpoint, { method: 'POST', headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(basic.status, 400);
    const unknownService = await signedFetch(cloud.endpoint, root, { service: 's3', method: 'GET', path: '/bucket' });
    assert.equal(unknownService.status, 400);
    assert.equal(unknownService.headers.get('x-amzn-errortype'), 'UnrecognizedClientException');
  });

  it('presigned URLs are verified too', async () => {
    const ok = await signedFetch(cloud.endpoint, root, { service: 'sts', method: 'GET', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, presign: true });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /<Arn>arn:aws:iam::111111111111:root<\/Arn>/);
    const wrong = await signedFetch(cloud.endpoint, { ...root, secretAccessKey: 'y'.repeat(40) }, { service: 'sts', method: 'GET', query: { Action: 'GetCallerIdentity' }, presign: true });
    assert.equal(wrong.status, 403);
    assert.match(await wrong.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('UNSIGNED-PAYLOAD and a declared payload hash are honoured', async () => {
    const unsigned = await signedFetch(cloud.endpoint, root, { service: 'sts', ...form({ Action: 'GetCallerIdentity' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.equal(unsigned.status, 200);
    const { createHash } = await import('node:crypto');
    const { body, headers } = form({ Action: 'GetCallerIdentity' });
    const hashed = await signedFetch(cloud.endpoint, root, { service: 'sts', body, headers: { ...headers, 'x-amz-content-sha256': createHash('sha256').update(body).digest('hex') } });
    assert.equal(hashed.status, 200);
  });

  it('a tampered body breaks the signature', async () => {
    const res = await signedFetch(cloud.endpoint, root, { service: 'sts', ...form({ Action: 'GetCallerIdentity' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-amz-content-sha256': 'a'.repeat(64) } });
    assert.equal(res.status, 403);
  });

  it('oversized bodies get 413 in the service protocol', async () => {
    const res = await signedFetch(cloud.endpoint, root, { service: 'lambda', path: '/2015-03-31/functions', body: 'x'.repeat(70 * 1024), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get('x-amzn-errortype'), 'RequestEntityTooLargeException');
  });

  it('service errors are rendered per protocol; unexpected ones become a bare 500', async () => {
    const notFound = await signedFetch(cloud.endpoint, root, { service: 'lambda', method: 'GET', path: '/aws-error' });
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.deepEqual(await notFound.json(), { Type: 'User', message: 'Function not found: x' });
    const bug = await signedFetch(cloud.endpoint, root, { service: 'lambda', method: 'GET', path: '/bug' });
    assert.equal(bug.status, 500);
    const text = await bug.text();
    assert.ok(!text.includes('a bug inside a service'), 'internals do not leak');
    assert.ok(logged.some((l) => l.includes('a bug inside a service')));
  });

  it('admin routes validate their input', async () => {
    const headers = { authorization: `Bearer ${cloud.adminToken}` };
    const bad = await fetch(`${cloud.endpoint}/_local/accounts`, { method: 'POST', headers, body: '{nope' });
    assert.equal(bad.status, 400);
    const badId = await fetch(`${cloud.endpoint}/_local/accounts`, { method: 'POST', headers, body: '{"accountId":"12"}' });
    assert.equal(badId.status, 400);
    assert.equal((await fetch(`${cloud.endpoint}/_local/nothing`, { headers })).status, 404);
    const random = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken });
    assert.match(random.accountId, /^\d{12}$/);
    assert.match(random.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(random.secretAccessKey.length, 40);
  });

  it('garbage on the socket gets a 400 and the server keeps serving', async () => {
    const reply = await rawRequest(cloud.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.match(reply, /^HTTP\/1.1 400/);
    const me = await stsClient(cloud.endpoint, root).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, '111111111111');
    await rejectsWith(stsClient(cloud.endpoint, { accessKeyId: 'AKIA', secretAccessKey: 'x' }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId');
  });
});

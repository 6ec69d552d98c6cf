import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import { stsClient } from '../test-support.js';
import { isAllowedHost } from './http.js';

/** A raw HTTP request with any Host header (fetch always sends the URL's own). */
function raw(port: number, opts: { method?: string; path: string; host: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: opts.host, ...(opts.headers ?? {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('the admin routes need the admin token and a local Host', () => {
  let cloud: LocalCloud;
  before(async () => {
    cloud = await startLocalCloud({ port: 0, services: [], maxAccounts: 3, allowClockControl: true });
  });
  after(() => cloud.stop());

  const accounts = (headers: Record<string, string>, body = '{"accountId":"111111111111"}') =>
    fetch(`${cloud.endpoint}/_local/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('refuses /_local/accounts without the token, with a wrong one, and with a malformed header', async () => {
    const none = await accounts({});
    assert.equal(none.status, 401);
    assert.match(await none.text(), /admin token/);
    const wrong = await accounts({ authorization: `Bearer ${cloud.adminToken.slice(0, -1)}x` });
    assert.equal(wrong.status, 403);
    const longer = await accounts({ authorization: `Bearer ${cloud.adminToken}x` });
    assert.equal(longer.status, 403);
    const basic = await accounts({ authorization: `Basic ${Buffer.from(`a:${cloud.adminToken}`).toString('base64')}` });
    assert.equal(basic.status, 403);
    for (const path of ['/_local/health', '/_local/clock']) {
      assert.equal((await fetch(`${cloud.endpoint}${path}`)).status, 401, path);
    }
    // Nothing was created by the refused calls.
    const first = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
    assert.equal(first.accountId, '111111111111');
    const ok = await accounts({ authorization: `Bearer ${cloud.adminToken}` });
    assert.equal(ok.status, 200, 'the account already existed: a further root key');
  });

  it('refuses every route for a Host that is not a loopback name (DNS rebinding), even with the token', async () => {
    const authorization = `Bearer ${cloud.adminToken}`;
    for (const host of ['evil.example.com', `evil.example.com:${cloud.port}`, '127.0.0.1.nip.io', 'localhost.evil.com']) {
      const admin = await raw(cloud.port, { method: 'POST', path: '/_local/accounts', host, headers: { authorization }, body: '{}' });
      assert.equal(admin.status, 403, host);
      assert.match(admin.body, /does not answer requests for host/);
      const aws = await raw(cloud.port, { method: 'POST', path: '/', host, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity' });
      assert.equal(aws.status, 403, host);
      const plane = await raw(cloud.port, { path: '/_aws/execute-api/abc/x', host });
      assert.equal(plane.status, 403, host);
    }
    for (const host of ['localhost', `localhost:${cloud.port}`, `127.0.0.1:${cloud.port}`, `[::1]:${cloud.port}`, `abc.execute-api.localhost:${cloud.port}`, 'LOCALHOST.']) {
      const res = await raw(cloud.port, { path: '/_local/health', host, headers: { authorization } });
      assert.equal(res.status, 200, host);
    }
  });

  it('bounds the number of accounts with an AWS-like error', async () => {
    const adminToken = cloud.adminToken;
    await createAccount(cloud.endpoint, { adminToken, accountId: '222222222222' });
    const third = await createAccount(cloud.endpoint, { adminToken });
    const refused = await accounts({ authorization: `Bearer ${adminToken}` }, '{"accountId":"444444444444"}');
    assert.equal(refused.status, 400);
    const body = await refused.json() as { __type: string; Reason: string; message: string };
    assert.equal(body.__type, 'ConstraintViolationException');
    assert.equal(body.Reason, 'ACCOUNT_NUMBER_LIMIT_EXCEEDED');
    assert.match(body.message, /at most 3/);
    // Existing accounts still work and still get keys.
    const again = await createAccount(cloud.endpoint, { adminToken, accountId: third.accountId });
    const me = await stsClient(cloud.endpoint, again).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, third.accountId);
  });

  it('accepts configured host names besides the loopback ones', () => {
    assert.equal(isAllowedHost('cloud.internal:4566', ['cloud.internal']), true);
    assert.equal(isAllowedHost('other.internal:4566', ['cloud.internal']), false);
    assert.equal(isAllowedHost(undefined, []), false);
    assert.equal(isAllowedHost('[::1]', []), true);
    assert.equal(isAllowedHost('[::2]:80', []), false);
  });
});

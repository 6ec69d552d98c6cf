import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CreateAccessKeyCommand, CreateOpenIDConnectProviderCommand, CreateRoleCommand, CreateUserCommand, GetOpenIDConnectProviderCommand, GetRoleCommand, GetUserCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { advanceClock, createAccount, startLocalCloud, type ServiceFactory } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount } from '../test-support.js';

/** A service with state of its own, to show the server persists every service's snapshot. */
const counter: ServiceFactory = (rt) => {
  let count = 0;
  return {
    service: {
      signingName: 'lambda', protocol: 'rest-json',
      handle: async () => {
        count++;
        rt.changed();
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count }) };
      },
      snapshot: () => ({ count }),
      restore: (s) => { count = (s as { count: number }).count; },
    },
  };
};

describe('persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'local-cloud-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a restart with the same data dir keeps accounts, users, roles, providers, sessions and service state', async () => {
    const first = await startLocalCloud({ port: 0, dataDir: dir, services: [counter], allowClockControl: true });
    const root = await createAccount(first.endpoint, { adminToken: first.adminToken, accountId: '111111111111' });
    const iam = iamClient(first.endpoint, root);
    await iam.send(new CreateUserCommand({ UserName: 'keeper' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'keeper' }));
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'kept', AssumeRolePolicyDocument: trustAccount('111111111111'), MaxSessionDuration: 7200 }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'kept', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }] }) }));
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://idp.example.com', ClientIDList: ['a'] }));
    const session = await stsClient(first.endpoint, root).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'kept-session', DurationSeconds: 3600 }));
    const { signedFetch } = await import('../test-support.js');
    await signedFetch(first.endpoint, root, { service: 'lambda', method: 'GET', path: '/count' });
    await signedFetch(first.endpoint, root, { service: 'lambda', method: 'GET', path: '/count' });
    await advanceClock(first.endpoint, 600, { adminToken: first.adminToken });
    await first.stop();
    assert.deepEqual(readdirSync(dir).sort(), ['admin-token', 'state.json'], 'written atomically, no temp files left');
    assert.equal(statSync(join(dir, 'admin-token')).mode & 0o777, 0o600, 'the admin token is readable by the owner only');
    assert.equal(statSync(join(dir, 'state.json')).mode & 0o777, 0o600, 'secrets readable by the owner only');

    const second = await startLocalCloud({ port: 0, dataDir: dir, services: [counter], allowClockControl: true });
    try {
      const iam2 = iamClient(second.endpoint, root, { maxAttempts: 3 });
      assert.equal((await iam2.send(new GetRoleCommand({ RoleName: 'kept' }))).Role!.MaxSessionDuration, 7200);
      const user = iamClient(second.endpoint, { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! }, { maxAttempts: 3 });
      await rejectsWith(user.send(new GetUserCommand({})), 'AccessDenied', 403);
      assert.equal((await iam2.send(new GetUserCommand({ UserName: 'keeper' }))).User!.UserName, 'keeper');
      await iam2.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: 'arn:aws:iam::111111111111:oidc-provider/idp.example.com' }));
      const creds = { accessKeyId: session.Credentials!.AccessKeyId!, secretAccessKey: session.Credentials!.SecretAccessKey!, sessionToken: session.Credentials!.SessionToken! };
      const me = await stsClient(second.endpoint, creds, { maxAttempts: 3 }).send(new GetCallerIdentityCommand({}));
      assert.equal(me.Arn, 'arn:aws:sts::111111111111:assumed-role/kept/kept-session');
      // The advanced clock survived: the one-hour session has 50 minutes left.
      assert.ok(second.now().getTime() - Date.now() > 590_000);
      assert.equal(second.adminToken, first.adminToken, 'the admin token is reused across restarts');
      const res = await signedFetch(second.endpoint, root, { service: 'lambda', method: 'GET', path: '/count' });
      assert.deepEqual(await res.json(), { count: 3 });
    } finally {
      await second.stop();
    }
  });

  it('without a data dir nothing survives', async () => {
    const a = await startLocalCloud({ port: 0, services: [] });
    const root = await createAccount(a.endpoint, { adminToken: a.adminToken, accountId: '111111111111' });
    await a.stop();
    const b = await startLocalCloud({ port: 0, services: [] });
    try {
      await rejectsWith(stsClient(b.endpoint, root).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    } finally {
      await b.stop();
    }
  });
});

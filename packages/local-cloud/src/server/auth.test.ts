import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateUserCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { advanceClock, createAccount, startLocalCloud, type LocalCloud, type ServiceFactory } from '../index.js';
import { iamClient, rejectsWith, signedFetch, stsClient, trustAccount, type Creds } from '../test-support.js';

// Stand-ins with Lambda's (rest-json) and Logs' (awsJson1_1) protocols, so the server's
// authentication errors are checked through those SDK clients whatever those services do.
const fakeLambda: ServiceFactory = () => ({
  service: { signingName: 'lambda', protocol: 'rest-json', handle: async () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"Functions":[]}' }) },
});
const fakeLogs: ServiceFactory = () => ({
  service: { signingName: 'logs', protocol: 'json', handle: async () => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{"logGroups":[]}' }) },
});

const lambda = (endpoint: string, c: Creds, extra: { systemClockOffset?: number; maxAttempts?: number } = {}): LambdaClient =>
  new LambdaClient({ endpoint, region: 'us-east-1', credentials: c, maxAttempts: extra.maxAttempts ?? 1, systemClockOffset: extra.systemClockOffset });
const logs = (endpoint: string, c: Creds, extra: { systemClockOffset?: number; maxAttempts?: number } = {}): CloudWatchLogsClient =>
  new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: c, maxAttempts: extra.maxAttempts ?? 1, systemClockOffset: extra.systemClockOffset });

describe('authentication of every AWS request', () => {
  let cloud: LocalCloud;
  let root: Creds;
  before(async () => {
    cloud = await startLocalCloud({ port: 0, allowClockControl: true, services: [fakeLambda, fakeLogs] });
    root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  });
  after(() => cloud.stop());

  it('answers valid root credentials', async () => {
    const me = await stsClient(cloud.endpoint, root).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, 'arn:aws:iam::111111111111:root');
    assert.equal((await lambda(cloud.endpoint, root).send(new ListFunctionsCommand({}))).Functions?.length, 0);
    assert.equal((await logs(cloud.endpoint, root).send(new DescribeLogGroupsCommand({}))).logGroups?.length, 0);
  });

  it('refuses an unknown access key with each protocol\'s code and status', async () => {
    const unknown = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: root.secretAccessKey };
    const e = await rejectsWith(stsClient(cloud.endpoint, unknown).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
    assert.match(e.message, /security token included in the request is invalid/);
    assert.ok(e.$metadata?.requestId, 'the error carries a request id');
    await rejectsWith(iamClient(cloud.endpoint, unknown).send(new CreateUserCommand({ UserName: 'u' })), 'InvalidClientTokenId', 403);
    await rejectsWith(lambda(cloud.endpoint, unknown).send(new ListFunctionsCommand({})), 'UnrecognizedClientException', 403);
    await rejectsWith(logs(cloud.endpoint, unknown).send(new DescribeLogGroupsCommand({})), 'UnrecognizedClientException', 400);
  });

  it('refuses a bad signature (right key id, wrong secret)', async () => {
    const wrong = { accessKeyId: root.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    await rejectsWith(stsClient(cloud.endpoint, wrong).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
    await rejectsWith(iamClient(cloud.endpoint, wrong).send(new CreateUserCommand({ UserName: 'u' })), 'SignatureDoesNotMatch', 403);
    await rejectsWith(lambda(cloud.endpoint, wrong).send(new ListFunctionsCommand({})), 'InvalidSignatureException', 403);
    await rejectsWith(logs(cloud.endpoint, wrong).send(new DescribeLogGroupsCommand({})), 'InvalidSignatureException', 400);
  });

  it('refuses a signature dated more than 15 minutes from the server clock', async () => {
    const ahead = { systemClockOffset: 20 * 60 * 1000 };
    const behind = { systemClockOffset: -20 * 60 * 1000 };
    const e1 = await rejectsWith(stsClient(cloud.endpoint, root, ahead).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
    assert.match(e1.message, /Signature not yet current/);
    const e2 = await rejectsWith(stsClient(cloud.endpoint, root, behind).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch', 403);
    assert.match(e2.message, /Signature expired: \d{8}T\d{6}Z is now earlier than/);
    await rejectsWith(lambda(cloud.endpoint, root, behind).send(new ListFunctionsCommand({})), 'InvalidSignatureException', 403);
    await rejectsWith(logs(cloud.endpoint, root, behind).send(new DescribeLogGroupsCommand({})), 'InvalidSignatureException', 400);
    // 10 minutes off is within AWS's tolerance.
    await stsClient(cloud.endpoint, root, { systemClockOffset: 10 * 60 * 1000 }).send(new GetCallerIdentityCommand({}));
  });

  it('refuses session credentials once they expire on the server clock', async () => {
    const iam = iamClient(cloud.endpoint, root);
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'expiring', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    const out = await stsClient(cloud.endpoint, root).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 's1', DurationSeconds: 900 }));
    const session = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    assert.match(session.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    await stsClient(cloud.endpoint, session).send(new GetCallerIdentityCommand({}));
    const presigned = await signedFetch(cloud.endpoint, session, { service: 'sts', method: 'GET', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' }, presign: true });
    assert.match(await presigned.text(), /assumed-role\/expiring\/s1/);

    await advanceClock(cloud.endpoint, 901, { adminToken: cloud.adminToken });
    // Expiry is checked before clock skew, so even an SDK that has not corrected its clock hears ExpiredToken.
    const e = await rejectsWith(stsClient(cloud.endpoint, session, { maxAttempts: 3 }).send(new GetCallerIdentityCommand({})), 'ExpiredToken', 403);
    assert.match(e.message, /expired/);
    await rejectsWith(lambda(cloud.endpoint, session, { maxAttempts: 3 }).send(new ListFunctionsCommand({})), 'ExpiredTokenException', 403);
    await rejectsWith(logs(cloud.endpoint, session, { maxAttempts: 3 }).send(new DescribeLogGroupsCommand({})), 'ExpiredTokenException', 400);
    // Long-term keys keep working once the SDK has corrected its clock skew.
    await stsClient(cloud.endpoint, root, { maxAttempts: 3 }).send(new GetCallerIdentityCommand({}));
  });

  it('refuses a session token that does not belong to the key', async () => {
    const iam = iamClient(cloud.endpoint, root, { maxAttempts: 3 });
    await iam.send(new GetRoleCommand({ RoleName: 'expiring' }));
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'tokens', AssumeRolePolicyDocument: trustAccount('111111111111') }));
    const out = await stsClient(cloud.endpoint, root, { maxAttempts: 3 }).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 's2' }));
    const forged = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: 'IQoJforged' };
    await rejectsWith(stsClient(cloud.endpoint, forged, { maxAttempts: 3 }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId', 403);
  });
});

describe('clock control', () => {
  it('does not exist unless enabled', async () => {
    const cloud = await startLocalCloud({ port: 0, services: [] });
    try {
      const res = await fetch(`${cloud.endpoint}/_local/clock`, { method: 'POST', headers: { authorization: `Bearer ${cloud.adminToken}` }, body: '{"advanceSeconds": 60}' });
      assert.equal(res.status, 404);
      const before = cloud.now().getTime();
      assert.ok(Math.abs(before - Date.now()) < 5000);
    } finally {
      await cloud.stop();
    }
  });
  it('moves the server clock forward when enabled', async () => {
    const cloud = await startLocalCloud({ port: 0, services: [], allowClockControl: true });
    try {
      const now = await advanceClock(cloud.endpoint, 3600, { adminToken: cloud.adminToken });
      assert.ok(now.getTime() - Date.now() > 3590_000);
      const bad = await fetch(`${cloud.endpoint}/_local/clock`, { method: 'POST', headers: { authorization: `Bearer ${cloud.adminToken}` }, body: '{"advanceSeconds": "soon"}' });
      assert.equal(bad.status, 400);
    } finally {
      await cloud.stop();
    }
  });
});

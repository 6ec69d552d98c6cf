import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, ListRolePoliciesCommand,
  PutRolePolicyCommand, PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount, type Creds } from '../test-support.js';

const A = '111111111111';
const B = '222222222222';
const EXTERNAL_ID = 'hangar-3f9c2a1e7b6d4c5a9e8f7a6b5c4d3e2f';

function sessionCreds(out: { Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }): Creds {
  return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
}

describe('STS AssumeRole', () => {
  let cloud: LocalCloud;
  let rootA: Creds;
  let rootB: Creds;
  let roleArn: string;
  before(async () => {
    cloud = await startLocalCloud({ port: 0, services: [] });
    rootA = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: A });
    rootB = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: B });
    const iam = iamClient(cloud.endpoint, rootA);
    // A deployer role in A, trusting account B only with the external id.
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'deployer', MaxSessionDuration: 7200,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': EXTERNAL_ID } } },
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: ['sts:TagSession', 'sts:SetSourceIdentity'] },
        ],
      }),
    }));
    roleArn = role.Role!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  });
  after(() => cloud.stop());

  const assume = (c: Creds, input: Partial<AssumeRoleCommandInput>) =>
    stsClient(cloud.endpoint, c).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'hangar-dep1', ...input }));

  it('issues session credentials with the right external id', async () => {
    const out = await assume(rootB, { ExternalId: EXTERNAL_ID, DurationSeconds: 900, SourceIdentity: 'alice', Tags: [{ Key: 'hangar:org', Value: 'o1' }] });
    assert.match(out.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(out.Credentials!.SecretAccessKey!.length, 40);
    assert.ok(out.Credentials!.SessionToken!.length > 100);
    const ttl = out.Credentials!.Expiration!.getTime() - Date.now();
    assert.ok(ttl > 850_000 && ttl <= 900_000, `expires in 900 s, got ${ttl} ms`);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${A}:assumed-role/deployer/hangar-dep1`);
    assert.match(out.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{17}:hangar-dep1$/);
    assert.equal(out.SourceIdentity, 'alice');
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    const me = await stsClient(cloud.endpoint, sessionCreds(out)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${A}:assumed-role/deployer/hangar-dep1`);
    assert.equal(me.Account, A);
  });

  it('refuses a wrong or missing external id with AccessDenied naming the caller and the role', async () => {
    const wrong = await rejectsWith(assume(rootB, { ExternalId: 'hangar-wrong-external-id' }), 'AccessDenied', 403);
    assert.equal(wrong.message, `User: arn:aws:iam::${B}:root is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    await rejectsWith(assume(rootB, {}), 'AccessDenied', 403);
  });

  it('refuses callers the trust policy does not name', async () => {
    await rejectsWith(assume(rootA, { ExternalId: EXTERNAL_ID }), 'AccessDenied', 403);
    const other = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '333333333333' });
    await rejectsWith(assume(other, { ExternalId: EXTERNAL_ID }), 'AccessDenied', 403);
  });

  it('validates parameters with AWS limits', async () => {
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, DurationSeconds: 899 }), 'ValidationError', 400);
    const tooLong = await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, DurationSeconds: 7201 }), 'ValidationError', 400);
    assert.match(tooLong.message, /MaxSessionDuration/);
    await assume(rootB, { ExternalId: EXTERNAL_ID, DurationSeconds: 7200 });
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, RoleSessionName: 'x' }), 'ValidationError', 400);
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, RoleSessionName: 'bad name!' }), 'ValidationError', 400);
    await rejectsWith(assume(rootB, { ExternalId: 'a' }), 'ValidationError', 400);
    await rejectsWith(assume(rootB, { ExternalId: 'x'.repeat(1225) }), 'ValidationError', 400);
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, SourceIdentity: 'a b' }), 'ValidationError', 400);
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, Tags: tags }), 'ValidationError', 400);
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}' }), 'MalformedPolicyDocumentException', 400);
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, Tags: [{ Key: 'a', Value: 'b' }], TransitiveTagKeys: ['c'] }), 'InvalidParameterValue', 400);
  });

  it('refuses session policies and tags that pack too large', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `key-${i}`, Value: randomBytes(192).toString('base64') }));
    await rejectsWith(assume(rootB, { ExternalId: EXTERNAL_ID, Tags: tags }), 'PackedPolicyTooLargeException', 400);
    // A handful of small tags fits.
    const out = await assume(rootB, { ExternalId: EXTERNAL_ID, Tags: tags.slice(0, 3).map((t) => ({ ...t, Value: 'small' })) });
    assert.ok(out.PackedPolicySize! > 0 && out.PackedPolicySize! <= 100);
  });

  it('needs the caller\'s own permission when the trust policy names its account', async () => {
    const iamB = iamClient(cloud.endpoint, rootB);
    await iamB.send(new CreateUserCommand({ UserName: 'ci' }));
    const key = await iamB.send(new CreateAccessKeyCommand({ UserName: 'ci' }));
    const ci = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
    assert.match(ci.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    await rejectsWith(assume(ci, { ExternalId: EXTERNAL_ID }), 'AccessDenied', 403);
    await iamB.send(new PutUserPolicyCommand({
      UserName: 'ci', PolicyName: 'assume',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }] }),
    }));
    const out = await assume(ci, { ExternalId: EXTERNAL_ID });
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${A}:assumed-role/deployer/hangar-dep1`);
  });

  it('a session policy narrows the role: an action the role allows is denied', async () => {
    const readOnly = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }] });
    const narrowed = sessionCreds(await assume(rootB, { ExternalId: EXTERNAL_ID, Policy: readOnly }));
    const full = sessionCreds(await assume(rootB, { ExternalId: EXTERNAL_ID }));
    const iamNarrowed = iamClient(cloud.endpoint, narrowed);
    assert.equal((await iamNarrowed.send(new GetRoleCommand({ RoleName: 'deployer' }))).Role!.RoleName, 'deployer');
    const denied = await rejectsWith(iamNarrowed.send(new CreateRoleCommand({ RoleName: 'evil', AssumeRolePolicyDocument: trustAccount(B) })), 'AccessDenied', 403);
    assert.match(denied.message, /assumed-role\/deployer\/hangar-dep1 is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111111111111:role\/evil because no session policy allows/);
    // The same role without the session policy may.
    await iamClient(cloud.endpoint, full).send(new CreateRoleCommand({ RoleName: 'allowed', AssumeRolePolicyDocument: trustAccount(B) }));
    // A managed policy passed as PolicyArns narrows too.
    const viaArn = sessionCreds(await assume(rootB, { ExternalId: EXTERNAL_ID, PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }] }));
    await rejectsWith(iamClient(cloud.endpoint, viaArn).send(new ListRolePoliciesCommand({ RoleName: 'deployer' })), 'AccessDenied', 403);
  });

  it('tags and source identity need sts:TagSession and sts:SetSourceIdentity in the trust policy', async () => {
    const iam = iamClient(cloud.endpoint, rootA);
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'plain', AssumeRolePolicyDocument: trustAccount(A) }));
    const sts = stsClient(cloud.endpoint, rootA);
    await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'ok' }));
    const e = await rejectsWith(sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'ok', Tags: [{ Key: 'a', Value: 'b' }] })), 'AccessDenied', 403);
    assert.match(e.message, /sts:TagSession/);
    await rejectsWith(sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'ok', SourceIdentity: 'bob' })), 'AccessDenied', 403);
  });

  it('conditions on session tags and source identity in the trust policy are evaluated', async () => {
    const iam = iamClient(cloud.endpoint, rootA);
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'tagged',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole' },
          { Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:TagSession', Condition: { StringLike: { 'aws:RequestTag/hangar:org': 'org-*' } } },
          { Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:SetSourceIdentity', Condition: { StringLike: { 'sts:SourceIdentity': 'user-*' } } },
        ],
      }),
    }));
    const sts = stsClient(cloud.endpoint, rootA);
    const base = { RoleArn: role.Role!.Arn, RoleSessionName: 'tags' };
    await sts.send(new AssumeRoleCommand({ ...base, Tags: [{ Key: 'hangar:org', Value: 'org-1' }], SourceIdentity: 'user-7' }));
    await rejectsWith(sts.send(new AssumeRoleCommand({ ...base, Tags: [{ Key: 'hangar:org', Value: 'other' }] })), 'AccessDenied', 403);
    await rejectsWith(sts.send(new AssumeRoleCommand({ ...base, SourceIdentity: 'robot-1' })), 'AccessDenied', 403);
  });

  it('role chaining is limited to one hour', async () => {
    const iam = iamClient(cloud.endpoint, rootA);
    await iam.send(new PutRolePolicyCommand({
      RoleName: 'deployer', PolicyName: 'x', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }),
    }));
    const hop = await iam.send(new CreateRoleCommand({
      RoleName: 'hop', MaxSessionDuration: 7200,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: roleArn }, Action: 'sts:AssumeRole' }] }),
    }));
    const first = sessionCreds(await assume(rootB, { ExternalId: EXTERNAL_ID }));
    const sts = stsClient(cloud.endpoint, first);
    await rejectsWith(sts.send(new AssumeRoleCommand({ RoleArn: hop.Role!.Arn, RoleSessionName: 'hop', DurationSeconds: 3601 })), 'ValidationError', 400);
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: hop.Role!.Arn, RoleSessionName: 'hop' }));
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${A}:assumed-role/hop/hop`);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AttachRolePolicyCommand, CreateAccessKeyCommand, CreateOpenIDConnectProviderCommand, CreateRoleCommand, CreateUserCommand,
  DeleteOpenIDConnectProviderCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, GetOpenIDConnectProviderCommand,
  GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, PutRolePolicyCommand,
  PutUserPolicyCommand, TagRoleCommand, UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import { iamClient, rejectsWith, stsClient, trustAccount, type Creds } from '../test-support.js';

const A = '111111111111';
const B = '222222222222';
const allow = (Action: string | string[], Resource: string | string[] = '*'): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource }] });

describe('IAM', () => {
  let cloud: LocalCloud;
  let rootA: Creds;
  let rootB: Creds;
  let iam: IAMClient;
  before(async () => {
    cloud = await startLocalCloud({ port: 0, services: [] });
    rootA = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: A });
    rootB = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: B });
    iam = iamClient(cloud.endpoint, rootA);
  });
  after(() => cloud.stop());

  it('creates users and access keys in AWS shapes', async () => {
    const u = await iam.send(new CreateUserCommand({ UserName: 'alice', Path: '/team/' }));
    assert.match(u.User!.UserId!, /^AIDA[A-Z2-7]{17}$/);
    assert.equal(u.User!.Arn, `arn:aws:iam::${A}:user/team/alice`);
    assert.ok(u.User!.CreateDate instanceof Date);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'alice' })), 'EntityAlreadyExistsException', 409);
    await rejectsWith(iam.send(new CreateUserCommand({ UserName: 'bad/name' })), 'ValidationError', 400);
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    assert.match(k.AccessKey!.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k.AccessKey!.SecretAccessKey!.length, 40);
    assert.equal(k.AccessKey!.Status, 'Active');
    await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    await rejectsWith(iam.send(new CreateAccessKeyCommand({ UserName: 'alice' })), 'LimitExceededException', 409);
    await rejectsWith(iam.send(new CreateAccessKeyCommand({ UserName: 'nobody' })), 'NoSuchEntityException', 404);
  });

  it('authorises a user by its policies, default deny, with resource wildcards', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'builder' }));
    const k = await iam.send(new CreateAccessKeyCommand({ UserName: 'builder' }));
    const builder = iamClient(cloud.endpoint, { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! });
    const e = await rejectsWith(builder.send(new CreateRoleCommand({ RoleName: 'app-1', AssumeRolePolicyDocument: trustAccount(A) })), 'AccessDenied', 403);
    assert.match(e.message, /^User: arn:aws:iam::111111111111:user\/builder is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111111111111:role\/app-1 because no identity-based policy allows the iam:CreateRole action$/);
    await iam.send(new PutUserPolicyCommand({ UserName: 'builder', PolicyName: 'apps', PolicyDocument: allow('iam:CreateRole', `arn:aws:iam::${A}:role/app-*`) }));
    await builder.send(new CreateRoleCommand({ RoleName: 'app-1', AssumeRolePolicyDocument: trustAccount(A) }));
    await rejectsWith(builder.send(new CreateRoleCommand({ RoleName: 'db-1', AssumeRolePolicyDocument: trustAccount(A) })), 'AccessDenied', 403);
    await rejectsWith(builder.send(new GetRoleCommand({ RoleName: 'app-1' })), 'AccessDenied', 403);
    await iam.send(new PutUserPolicyCommand({
      UserName: 'builder', PolicyName: 'deny',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'iam:*', Resource: `arn:aws:iam::${A}:role/app-2` }] }),
    }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'builder', PolicyName: 'apps', PolicyDocument: allow('iam:*', `arn:aws:iam::${A}:role/app-*`) }));
    await rejectsWith(builder.send(new CreateRoleCommand({ RoleName: 'app-2', AssumeRolePolicyDocument: trustAccount(A) })), 'AccessDenied', 403);
    await rejectsWith(iam.send(new PutUserPolicyCommand({ UserName: 'builder', PolicyName: 'x', PolicyDocument: '{"Statement": 1}' })), 'MalformedPolicyDocumentException', 400);
  });

  it('creates, reads and deletes roles with their policies', async () => {
    const trust = trustAccount(A);
    const created = await iam.send(new CreateRoleCommand({ RoleName: 'svc', AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200, Description: 'd', Tags: [{ Key: 'team', Value: 'blue' }] }));
    assert.match(created.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
    assert.equal(created.Role!.Arn, `arn:aws:iam::${A}:role/svc`);
    const got = await iam.send(new GetRoleCommand({ RoleName: 'svc' }));
    assert.equal(got.Role!.MaxSessionDuration, 43200);
    assert.deepEqual(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!)), JSON.parse(trust));
    assert.deepEqual(got.Role!.Tags, [{ Key: 'team', Value: 'blue' }]);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'svc', AssumeRolePolicyDocument: trust })), 'EntityAlreadyExistsException', 409);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: trust, MaxSessionDuration: 60 })), 'ValidationError', 400);
    await rejectsWith(iam.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: allow('*') })), 'MalformedPolicyDocumentException', 400);

    await iam.send(new PutRolePolicyCommand({ RoleName: 'svc', PolicyName: 'logs', PolicyDocument: allow('logs:*') }));
    const doc = await iam.send(new GetRolePolicyCommand({ RoleName: 'svc', PolicyName: 'logs' }));
    assert.deepEqual(JSON.parse(decodeURIComponent(doc.PolicyDocument!)), JSON.parse(allow('logs:*')));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: 'svc' }))).PolicyNames, ['logs']);
    await rejectsWith(iam.send(new GetRolePolicyCommand({ RoleName: 'svc', PolicyName: 'nope' })), 'NoSuchEntityException', 404);

    await iam.send(new AttachRolePolicyCommand({ RoleName: 'svc', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'svc' }));
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }]);
    await rejectsWith(iam.send(new AttachRolePolicyCommand({ RoleName: 'svc', PolicyArn: 'arn:aws:iam::aws:policy/NoSuchThing' })), 'NoSuchEntityException', 404);

    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'svc' })), 'DeleteConflictException', 409);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'svc', PolicyName: 'logs' }));
    await rejectsWith(iam.send(new DeleteRoleCommand({ RoleName: 'svc' })), 'DeleteConflictException', 409);
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'svc', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'svc' }))).AttachedPolicies, []);
    await iam.send(new DeleteRoleCommand({ RoleName: 'svc' }));
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: 'svc' })), 'NoSuchEntityException', 404);
  });

  it('UpdateAssumeRolePolicy and TagRole take effect', async () => {
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'trusting', AssumeRolePolicyDocument: trustAccount(A) }));
    await stsClient(cloud.endpoint, rootA).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'one' }));
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'trusting', PolicyDocument: trustAccount(B) }));
    await rejectsWith(stsClient(cloud.endpoint, rootA).send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn, RoleSessionName: 'two' })), 'AccessDenied', 403);
    await iam.send(new TagRoleCommand({ RoleName: 'trusting', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await iam.send(new TagRoleCommand({ RoleName: 'trusting', Tags: [{ Key: 'a', Value: '3' }] }));
    const tags = (await iam.send(new GetRoleCommand({ RoleName: 'trusting' }))).Role!.Tags;
    assert.deepEqual(tags?.sort((x, y) => x.Key!.localeCompare(y.Key!)), [{ Key: 'a', Value: '3' }, { Key: 'b', Value: '2' }]);
  });

  it('a session dies with its role, even if a role of the same name comes back', async () => {
    const make = async () => {
      await iam.send(new CreateRoleCommand({ RoleName: 'phoenix', AssumeRolePolicyDocument: trustAccount(A) }));
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'phoenix', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    };
    await make();
    const out = await stsClient(cloud.endpoint, rootA).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${A}:role/phoenix`, RoleSessionName: 'old' }));
    const old = iamClient(cloud.endpoint, { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! });
    await old.send(new GetRoleCommand({ RoleName: 'phoenix' }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'phoenix', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'phoenix' }));
    await make();
    await rejectsWith(old.send(new GetRoleCommand({ RoleName: 'phoenix' })), 'AccessDenied', 403);
  });

  it('OIDC providers: https only (http on loopback), delete', async () => {
    await rejectsWith(iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'http://idp.example.com', ClientIDList: ['x'] })), 'ValidationError', 400);
    const p = await iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://idp.example.com/tenant', ClientIDList: ['x'], ThumbprintList: ['a'.repeat(40)] }));
    assert.equal(p.OpenIDConnectProviderArn, `arn:aws:iam::${A}:oidc-provider/idp.example.com/tenant`);
    await rejectsWith(iam.send(new CreateOpenIDConnectProviderCommand({ Url: 'https://idp.example.com/tenant', ClientIDList: ['x'] })), 'EntityAlreadyExistsException', 409);
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.OpenIDConnectProviderArn }));
    assert.deepEqual(got.ThumbprintList, ['a'.repeat(40)]);
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.OpenIDConnectProviderArn }));
    await rejectsWith(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.OpenIDConnectProviderArn })), 'NoSuchEntityException', 404);
  });

  it('accounts are isolated: one account\'s credentials never reach another\'s resources', async () => {
    const iamB = iamClient(cloud.endpoint, rootB);
    await iamB.send(new CreateRoleCommand({ RoleName: 'only-in-b', AssumeRolePolicyDocument: trustAccount(B) }));
    await rejectsWith(iam.send(new GetRoleCommand({ RoleName: 'only-in-b' })), 'NoSuchEntityException', 404);
    await rejectsWith(stsClient(cloud.endpoint, rootA).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/only-in-b`, RoleSessionName: 'xx' })), 'AccessDenied', 403);
    // Same name in both accounts: two different roles.
    await iam.send(new CreateRoleCommand({ RoleName: 'only-in-b', AssumeRolePolicyDocument: trustAccount(A) }));
    const a = await iam.send(new GetRoleCommand({ RoleName: 'only-in-b' }));
    const b = await iamB.send(new GetRoleCommand({ RoleName: 'only-in-b' }));
    assert.notEqual(a.Role!.RoleId, b.Role!.RoleId);
    assert.equal(a.Role!.Arn, `arn:aws:iam::${A}:role/only-in-b`);
    // An admin session of account A is still refused on B's role.
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'only-in-b', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const out = await stsClient(cloud.endpoint, rootA).send(new AssumeRoleCommand({ RoleArn: a.Role!.Arn, RoleSessionName: 'admin' }));
    const adminA = { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken! };
    await rejectsWith(stsClient(cloud.endpoint, adminA).send(new AssumeRoleCommand({ RoleArn: b.Role!.Arn, RoleSessionName: 'xx' })), 'AccessDenied', 403);
  });
});

/**
 * `table` against the real local cloud (SigV4, IAM, STS session policies, DynamoDB): create,
 * update in place, no-op, refused key change, replace, remove, drift, and a deployment session
 * narrowed to the component's own statements. AWS calls are counted on the wire.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, ListTagsOfResourceCommand, PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { HangarError, SessionCredentials } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { awsClientConfig } from '../sdk/aws-clients.js';
import { isAwsError } from '../sdk/aws-errors.js';
import type { ComponentContext, InstanceRef } from '../sdk/component.js';
import { compactPolicyJson, maxSessionPolicyChars, permissionStatements, sessionPolicyDocument } from '../sdk/permissions.js';
import { validateInputs } from '../sdk/validate.js';
import { createCallCounter, startCloudWithAccount } from '../internal/local-cloud-testing.js';
import { createTable, tableName } from './component.js';

let cloud: LocalCloud;
let root: SessionCredentials;
const counted = createCallCounter();
const made: DynamoDBClient[] = [];
const region = 'us-east-1';
const taken = counted.taken;

function countingClient(ctx: ComponentContext): DynamoDBClient {
  const c = counted.count(new DynamoDBClient(awsClientConfig(ctx)));
  made.push(c);
  return c;
}

const component = createTable({ createClient: countingClient, pollMs: 40, maxWaitSeconds: 20 });
const inst = (over: Partial<InstanceRef> = {}): InstanceRef => ({ orgId: 'org_1', appId: 'app_1', app: 'shop', stage: 'dev', name: 'orders', instanceId: 'inst_t1', ...over });

function context(state: Record<string, unknown>, over: Partial<ComponentContext> = {}, logs: string[] = []): ComponentContext {
  return {
    credentials: root, region, endpoint: cloud.endpoint, instance: inst(), state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    ...over,
  };
}
const inputs = (raw: Record<string, unknown>) => validateInputs(component, raw);
let admin: DynamoDBClient;

before(async () => {
  ({ cloud, credentials: root } = await startCloudWithAccount('333333333333'));
  admin = new DynamoDBClient(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
});

after(async () => {
  for (const c of [...made, admin]) c?.destroy();
  await cloud?.stop();
});

test('table: create, no-op, in-place updates, refused key change, replace, drift, protected remove, remove', async () => {
  const name = tableName(inst());
  taken();
  const first = await component.deploy(inputs({ partitionKey: 'pk', sortKey: { name: 'sk', type: 'N' }, tags: { team: 'a' } }), context({}));
  assert.deepEqual(first.outputs, { name, arn: `arn:aws:dynamodb:us-east-1:333333333333:table/${name}` });
  assert.ok(taken().includes('CreateTable'));
  let t = (await admin.send(new DescribeTableCommand({ TableName: name }))).Table!;
  assert.equal(t.TableStatus, 'ACTIVE');
  assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  assert.deepEqual(t.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
  await admin.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { N: '1' }, status: { S: 'open' } } }));

  // Unchanged inputs: no AWS call at all.
  const again = await component.deploy(inputs({ partitionKey: 'pk', sortKey: { name: 'sk', type: 'N' }, tags: { team: 'a' } }), context(first.state));
  assert.deepEqual(taken(), []);
  assert.deepEqual(again.outputs, first.outputs);

  // In place: an index, time to live, tags (one changed, one gone), deletion protection.
  const changed = { partitionKey: 'pk', sortKey: { name: 'sk', type: 'N' }, globalSecondaryIndexes: [{ name: 'byStatus', partitionKey: 'status' }], ttlAttribute: 'expires', tags: { owner: 'b' }, deletionProtection: true };
  const second = await component.deploy(inputs(changed), context(again.state));
  const secondCalls = taken();
  assert.ok(!secondCalls.includes('CreateTable') && !secondCalls.includes('DeleteTable'), secondCalls.join(' '));
  assert.ok(secondCalls.includes('UpdateTable') && secondCalls.includes('UpdateTimeToLive') && secondCalls.includes('UntagResource'), secondCalls.join(' '));
  t = (await admin.send(new DescribeTableCommand({ TableName: name }))).Table!;
  assert.equal(t.ItemCount, 1, 'the items stay');
  assert.deepEqual(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.IndexStatus]), [['byStatus', 'ACTIVE']]);
  assert.equal(t.DeletionProtectionEnabled, true);
  const ttl = (await admin.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription;
  assert.deepEqual([ttl?.TimeToLiveStatus, ttl?.AttributeName], ['ENABLED', 'expires']);
  const tags = Object.fromEntries(((await admin.send(new ListTagsOfResourceCommand({ ResourceArn: t.TableArn! }))).Tags ?? []).map((x) => [x.Key, x.Value]));
  assert.equal(tags.owner, 'b');
  assert.equal(tags.team, undefined);
  assert.equal(tags['hangar:instance'], 'inst_t1');

  // A key change is refused before any call, naming both keys; the table is untouched.
  await assert.rejects(component.deploy(inputs({ ...changed, sortKey: { name: 'sk', type: 'S' } }), context(second.state)), (e: HangarError) =>
    e.code === 'COMPONENT_REPLACE_REQUIRED' && e.message.includes('sort key sk (N)') && e.message.includes('sort key sk (S)'));
  assert.deepEqual(taken(), []);
  // Replace is refused while deletion protection stays on; remove too.
  await assert.rejects(component.deploy(inputs({ ...changed, sortKey: { name: 'sk', type: 'S' } }), context(second.state, { replace: true })), (e: HangarError) => e.code === 'COMPONENT_DELETION_PROTECTED');
  await assert.rejects(component.remove(context(second.state)), (e: HangarError) => e.code === 'COMPONENT_DELETION_PROTECTED' && e.message.includes(name));
  assert.ok((await admin.send(new DescribeTableCommand({ TableName: name }))).Table);

  // --replace with protection turned off: the table is deleted and created with the new keys (empty).
  const replacedInputs = { ...changed, deletionProtection: false, sortKey: { name: 'sk', type: 'S' } };
  const third = await component.deploy(inputs(replacedInputs), context(second.state, { replace: true }));
  t = (await admin.send(new DescribeTableCommand({ TableName: name }))).Table!;
  assert.equal(t.AttributeDefinitions?.find((d) => d.AttributeName === 'sk')?.AttributeType, 'S');
  assert.equal(t.ItemCount, 0);
  assert.deepEqual(t.GlobalSecondaryIndexes?.map((g) => g.IndexName), ['byStatus']);
  assert.equal((await admin.send(new DescribeTimeToLiveCommand({ TableName: name }))).TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');

  // Drift: deleted behind Hangar's back, the next deploy that changes anything creates it again.
  await admin.send(new DeleteTableCommand({ TableName: name }));
  const logs: string[] = [];
  taken();
  const fourth = await component.deploy(inputs({ ...replacedInputs, tags: { owner: 'c' } }), context(third.state, {}, logs));
  assert.ok(taken().includes('CreateTable'));
  assert.ok(logs.some((l) => l.includes('deleted outside Hangar')), logs.join('\n'));
  assert.equal((await admin.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus, 'ACTIVE');

  await component.remove(context(fourth.state));
  await assert.rejects(admin.send(new DescribeTableCommand({ TableName: name })), (e) => isAwsError(e, 'ResourceNotFoundException'));
  await component.remove(context(fourth.state)); // already gone: nothing to do
});

test('table: provisioned billing, a switch to on-demand and back (with a second index) in place', async () => {
  const i = inst({ name: 'billing', instanceId: 'inst_t2' });
  const prov = { partitionKey: { name: 'id', type: 'N' }, billing: { readCapacity: 2, writeCapacity: 3 }, globalSecondaryIndexes: [{ name: 'byName', partitionKey: 'name', projection: ['email'] }] };
  const first = await component.deploy(inputs(prov), context({}, { instance: i }));
  let t = (await admin.send(new DescribeTableCommand({ TableName: tableName(i) }))).Table!;
  assert.deepEqual([t.ProvisionedThroughput?.ReadCapacityUnits, t.ProvisionedThroughput?.WriteCapacityUnits], [2, 3]);
  assert.deepEqual(t.GlobalSecondaryIndexes?.[0]?.Projection, { ProjectionType: 'INCLUDE', NonKeyAttributes: ['email'] });
  const second = await component.deploy(inputs({ ...prov, billing: 'PAY_PER_REQUEST' }), context(first.state, { instance: i }));
  t = (await admin.send(new DescribeTableCommand({ TableName: tableName(i) }))).Table!;
  assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  // Back to provisioned with a second index: each index gets the capacity in the same UpdateTable.
  const third = await component.deploy(inputs({ ...prov, globalSecondaryIndexes: [...prov.globalSecondaryIndexes, { name: 'byEmail', partitionKey: 'email' }] }), context(second.state, { instance: i }));
  t = (await admin.send(new DescribeTableCommand({ TableName: tableName(i) }))).Table!;
  assert.deepEqual(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, g.ProvisionedThroughput?.ReadCapacityUnits]).sort(), [['byEmail', 2], ['byName', 2]]);
  await component.remove(context(third.state, { instance: i }));
});

test('table: the deployment session holds only the table actions on its own table', async () => {
  const iam = new IAMClient(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
  const sts = new STSClient(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
  try {
    const role = await iam.send(new CreateRoleCommand({
      RoleName: 'table-deployer',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 'sts:AssumeRole' }] }),
    }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'table-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const i = inst({ name: 'narrow', instanceId: 'inst_t3' });
    const policy = compactPolicyJson(sessionPolicyDocument(permissionStatements(component.permissions, i))!);
    assert.ok(policy.length <= maxSessionPolicyChars, `${policy.length} characters`);
    assert.ok(policy.includes(`table/hangar-shop-dev-narrow-`), policy);
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'hangar-dep-table', Policy: policy }))).Credentials!;
    const narrowed = new SessionCredentials({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });

    // Its own table: create and remove work with nothing more.
    const ctx = (state: Record<string, unknown>) => context(state, { credentials: narrowed, instance: i });
    const deployed = await component.deploy(inputs({ partitionKey: 'pk', ttlAttribute: 'exp', tags: { a: 'b' } }), ctx({}));
    await component.remove(ctx(deployed.state));

    // Anything else is refused: Lambda, and a table of another app or stage (which exists).
    const other = tableName(inst({ app: 'shop', stage: 'prod', name: 'narrow', instanceId: 'inst_t4' }));
    await admin.send(new CreateTableCommand({ TableName: other, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }));
    const ddb = new DynamoDBClient(awsClientConfig({ credentials: narrowed, region, endpoint: cloud.endpoint }));
    const lambda = new LambdaClient(awsClientConfig({ credentials: narrowed, region, endpoint: cloud.endpoint }));
    try {
      await assert.rejects(lambda.send(new ListFunctionsCommand({})), (e) => isAwsError(e, 'AccessDeniedException'));
      await assert.rejects(ddb.send(new DeleteTableCommand({ TableName: other })), (e) => isAwsError(e, 'AccessDeniedException'));
      await assert.rejects(ddb.send(new PutItemCommand({ TableName: tableName(i), Item: { pk: { S: 'x' } } })), (e) => isAwsError(e, 'AccessDeniedException'));
    } finally {
      ddb.destroy();
      lambda.destroy();
    }
    assert.ok((await admin.send(new DescribeTableCommand({ TableName: other }))).Table);
  } finally {
    iam.destroy();
    sts.destroy();
  }
});

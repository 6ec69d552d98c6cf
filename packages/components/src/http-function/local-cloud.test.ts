/**
 * http-function against the real local cloud: real SigV4, IAM, Lambda running the handler, and
 * an HTTP API answering real HTTP requests. AWS calls are counted with a middleware on each SDK
 * client, so "no update call" is checked on the wire, not inferred from the plan.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetApiCommand } from '@aws-sdk/client-apigatewayv2';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand, FilterLogEventsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GetFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SessionCredentials } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { zipSync, strToU8 } from 'fflate';
import { isAwsError } from '../sdk/aws-errors.js';
import type { ComponentContext } from '../sdk/component.js';
import { validateInputs } from '../sdk/validate.js';
import { createHttpFunctionClients, destroyHttpFunctionClients, type HttpFunctionClients } from './clients.js';
import { countingHttpFunctionClients, createCallCounter, startCloudWithAccount } from '../internal/local-cloud-testing.js';
import { createHttpFunction, httpFunctionPermissions } from './component.js';
import { awsClientConfig } from '../sdk/aws-clients.js';
import { applyHttpFunctionPlan } from './apply.js';
import { compactPolicyJson, permissionStatements, sessionPolicyDocument } from '../sdk/permissions.js';
import { basicExecutionPolicyArn } from './plan.js';

let cloud: LocalCloud;
let credentials: SessionCredentials;
const counted = createCallCounter();
const made: HttpFunctionClients[] = [];
/** The AWS calls made since the last look. */
const taken = counted.taken;
const countingClients = countingHttpFunctionClients(counted, made);

const instance = { orgId: 'org_1', appId: 'app_1', app: 'hello', stage: 'dev', name: 'web', instanceId: 'inst_local_1' };

function handlerZip(body: string): Uint8Array {
  const code = `export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ says: ${JSON.stringify(body)}, greeting: process.env.GREETING ?? null, path: event.rawPath, version: event.version }),
});\n`;
  return zipSync({ 'index.mjs': strToU8(code) });
}

function context(state: Record<string, unknown>, manifestId: string, body: string, logs: string[] = []): ComponentContext {
  return {
    credentials,
    region: 'us-east-1',
    endpoint: cloud.endpoint,
    instance,
    state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    source: { manifestId, zip: async () => handlerZip(body) },
  };
}

/** Why the end-to-end test cannot run yet, or undefined when the cloud serves what it needs. */
async function missingServices(): Promise<string | undefined> {
  const clients = createHttpFunctionClients({ credentials, region: 'us-east-1', endpoint: cloud.endpoint });
  const missing: string[] = [];
  try {
    try { await clients.lambda.send(new ListFunctionsCommand({})); } catch (e) { if (isAwsError(e, 'UnrecognizedClientException')) missing.push('lambda'); else throw e; }
    try { await clients.apigw.send(new GetApiCommand({ ApiId: 'probe000' })); } catch (e) {
      if (isAwsError(e, 'UnrecognizedClientException')) missing.push('apigateway');
      else if (!isAwsError(e, 'NotFoundException')) throw e;
    }
  } finally {
    destroyHttpFunctionClients(clients);
  }
  return missing.length ? `the local cloud does not serve ${missing.join(' and ')} yet (packages/local-cloud/src/services.ts)` : undefined;
}

before(async () => {
  ({ cloud, credentials } = await startCloudWithAccount('222222222222'));
});

after(async () => {
  for (const c of made) destroyHttpFunctionClients(c);
  await cloud?.stop();
});

test('local cloud IAM: the execution role is made with Lambda trust and the basic policy, and removed twice without error', async () => {
  const clients = countingClients({ credentials, region: 'us-east-1', endpoint: cloud.endpoint } as ComponentContext);
  const deps = { clients, region: 'us-east-1', log: { info() {}, warn() {}, error() {} }, tags: { 'hangar:instance': 'inst_iam' }, sleep: async () => {}, maxWaitSeconds: 5 };
  const roleName = 'hangar-iam-check-0000';
  const state = await applyHttpFunctionPlan({ operations: [{ op: 'createRole', roleName }, { op: 'attachRolePolicy', roleName, policyArn: basicExecutionPolicyArn }] }, {}, deps);
  assert.equal(state.role?.arn, `arn:aws:iam::222222222222:role/${roleName}`);
  assert.deepEqual(state.role?.policies, [basicExecutionPolicyArn]);
  const role = await clients.iam.send(new GetRoleCommand({ RoleName: roleName }));
  const trust = JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)) as { Statement: { Principal: { Service: string } }[] };
  assert.equal(trust.Statement[0]!.Principal.Service, 'lambda.amazonaws.com');

  const removal = { operations: [{ op: 'detachRolePolicy', roleName, policyArn: basicExecutionPolicyArn }, { op: 'deleteRole', roleName }] } as const;
  await applyHttpFunctionPlan(removal, state, deps);
  await applyHttpFunctionPlan(removal, state, deps); // NoSuchEntity recognised by name: nothing to do
  await assert.rejects(clients.iam.send(new GetRoleCommand({ RoleName: roleName })), (e) => isAwsError(e, 'NoSuchEntityException', 'NoSuchEntity'));
});

test('local cloud: deploy answers over HTTP, an unchanged redeploy calls nothing, a code change only UpdateFunctionCode, remove deletes all', async (t) => {
  const reason = await missingServices();
  if (reason) {
    t.skip(reason);
    return;
  }
  const component = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30 });
  const inputs = validateInputs(component, { src: './web', env: { GREETING: 'hi' }, memory: 256 });
  const logs: string[] = [];

  taken();
  const first = await component.deploy(inputs, context({}, 'manifest-1', 'v1', logs));
  const url = first.outputs.url as string;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//);
  const res = await fetch(`${url}orders?x=1`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { says: 'v1', greeting: 'hi', path: '/orders', version: '2.0' });
  assert.ok(logs.some((l) => l.startsWith('Creating execution role hangar-hello-dev-web-')), logs.join('\n'));
  const firstCalls = taken();
  assert.ok(firstCalls.includes('CreateFunction') && firstCalls.includes('AddPermission'), firstCalls.join(' '));

  // The engine stores state as JSON and hands it back.
  const stored = JSON.parse(JSON.stringify(first.state)) as Record<string, unknown>;
  const again = await component.deploy(inputs, context(stored, 'manifest-1', 'v1'));
  assert.deepEqual(taken(), [], 'an unchanged redeploy makes no AWS call');
  assert.deepEqual(again.outputs, first.outputs);

  const changed = await component.deploy(inputs, context(again.state, 'manifest-2', 'v2'));
  // Code only: no look at the log group; the local cloud answers InProgress as AWS does, so one poll.
  assert.deepEqual(taken(), ['UpdateFunctionCode', 'GetFunctionConfiguration']);
  assert.deepEqual(((await (await fetch(url)).json()) as { says: string }).says, 'v2');

  const reconfigured = await component.deploy(validateInputs(component, { env: { GREETING: 'hello' }, memory: 256 }), context(changed.state, 'manifest-2', 'v2'));
  assert.deepEqual(taken().filter((c) => !c.startsWith('Get')), ['DescribeLogGroups', 'UpdateFunctionConfiguration']);
  assert.equal(((await (await fetch(url)).json()) as { greeting: string }).greeting, 'hello');

  await component.remove(context(reconfigured.state, 'manifest-2', 'v2'));
  const { lambda, apigw, iam } = made.at(-1)!;
  await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: first.outputs.functionName as string })), (e) => isAwsError(e, 'ResourceNotFoundException'));
  await assert.rejects(apigw.send(new GetApiCommand({ ApiId: first.outputs.apiId as string })), (e) => isAwsError(e, 'NotFoundException'));
  await assert.rejects(iam.send(new GetRoleCommand({ RoleName: first.outputs.functionName as string })), (e) => isAwsError(e, 'NoSuchEntityException', 'NoSuchEntity'));
  const gone = await fetch(url);
  assert.notEqual(gone.status, 200);
  assert.deepEqual((await made.at(-1)!.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${first.outputs.functionName as string}` }))).logGroups, []);
  await component.remove(context(reconfigured.state, 'manifest-2', 'v2')); // twice is fine
});

test('local cloud: a session narrowed to the component\'s declared permissions can deploy and remove it', async (t) => {
  const reason = await missingServices();
  if (reason) {
    t.skip(reason);
    return;
  }
  const rootClients = countingClients({ credentials, region: 'us-east-1', endpoint: cloud.endpoint } as ComponentContext);
  const deployer = await rootClients.iam.send(new CreateRoleCommand({
    RoleName: 'deployer',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 'sts:AssumeRole' }] }),
  }));
  await rootClients.iam.send(new AttachRolePolicyCommand({ RoleName: 'deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
  const sts = new STSClient(awsClientConfig({ credentials, region: 'us-east-1', endpoint: cloud.endpoint }));
  const component = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30 });
  const narrowInstance = { ...instance, instanceId: 'inst_narrow' };
  // The policy the engine would send: the component's statements for this instance.
  const sessionPolicy = compactPolicyJson(sessionPolicyDocument(permissionStatements(component.permissions, narrowInstance))!);
  try {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: deployer.Role!.Arn!, RoleSessionName: 'hangar-dep-narrow', Policy: sessionPolicy }));
    const c = out.Credentials!;
    const narrowed = new SessionCredentials({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, expiration: c.Expiration! });
    const ctx = (state: Record<string, unknown>): ComponentContext => ({ ...context(state, 'manifest-n', 'narrow'), credentials: narrowed, instance: narrowInstance });
    const deployed = await component.deploy(validateInputs(component, {}), ctx({}));
    assert.equal(((await (await fetch(deployed.outputs.url as string)).json()) as { says: string }).says, 'narrow');
    await component.remove(ctx(deployed.state));

    // The session names this instance's resources: deploying another app's instance with it is refused,
    // and so is anything outside the declaration (DynamoDB, invoking the function).
    await assert.rejects(component.deploy(validateInputs(component, {}), { ...ctx({}), instance: { ...narrowInstance, app: 'other' } }),
      (e: { code?: string }) => e.code === 'COMPONENT_AWS_ACCESS_DENIED');
    const outside = new DynamoDBClient(awsClientConfig({ credentials: narrowed, region: 'us-east-1', endpoint: cloud.endpoint }));
    try {
      await assert.rejects(outside.send(new ListTablesCommand({})), (e) => isAwsError(e, 'AccessDeniedException'));
    } finally {
      outside.destroy();
    }

    // The narrowing is real: without the IAM actions, the deploy is refused with the code that says so.
    const noIam = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: httpFunctionPermissions.filter((a) => !a.startsWith('iam:')), Resource: '*' }] });
    const weak = (await sts.send(new AssumeRoleCommand({ RoleArn: deployer.Role!.Arn!, RoleSessionName: 'hangar-dep-weak', Policy: noIam }))).Credentials!;
    const weakCreds = new SessionCredentials({ accessKeyId: weak.AccessKeyId!, secretAccessKey: weak.SecretAccessKey!, sessionToken: weak.SessionToken! });
    await assert.rejects(component.deploy(validateInputs(component, {}), { ...ctx({}), credentials: weakCreds }), (e: { code?: string; details?: { awsCode?: string; requestId?: string } }) =>
      e.code === 'COMPONENT_AWS_ACCESS_DENIED' && !!e.details?.requestId);
  } finally {
    sts.destroy();
  }
});

test('local cloud: the function\'s log group is created with retention and tags, receives its logs, is updated in place, recreated after drift and removed', async (t) => {
  const reason = await missingServices();
  if (reason) {
    t.skip(reason);
    return;
  }
  const component = createHttpFunction({ createClients: countingClients, maxWaitSeconds: 30 });
  const ctx = (state: Record<string, unknown>, manifest: string) => ({ ...context(state, manifest, 'logged'), instance: { ...instance, instanceId: 'inst_logs' } });
  taken();
  const first = await component.deploy(validateInputs(component, { logRetentionDays: 14 }), ctx({}, 'm1'));
  const name = `/aws/lambda/${first.outputs.functionName as string}`;
  const { logs } = made.at(-1)!;
  const group = async () => (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
  assert.equal((await group())?.retentionInDays, 14);
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: (await group())!.logGroupArn! }))).tags, { 'hangar:instance': 'inst_logs', 'hangar:app': 'hello', 'hangar:stage': 'dev' });
  assert.equal((await fetch(first.outputs.url as string)).status, 200);
  const starts = (await logs.send(new FilterLogEventsCommand({ logGroupName: name, filterPattern: '"START RequestId"' }))).events ?? [];
  assert.equal(starts.length, 1, 'the function logs into the group the component made');
  assert.equal((await group())?.retentionInDays, 14, 'Lambda writing to it keeps its retention');
  taken();

  const same = await component.deploy(validateInputs(component, { logRetentionDays: 14 }), ctx(first.state, 'm1'));
  assert.deepEqual(taken(), [], 'no-op: no call at all');
  const longer = await component.deploy(validateInputs(component, { logRetentionDays: 60 }), ctx(same.state, 'm1'));
  assert.deepEqual(taken(), ['DescribeLogGroups', 'PutRetentionPolicy']);
  assert.equal((await group())?.retentionInDays, 60);

  await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
  taken();
  // --refresh (the drift check) looks at the group even when only the code changes.
  const healed = await component.deploy(validateInputs(component, { logRetentionDays: 60 }), { ...ctx(longer.state, 'm2'), refresh: true });
  assert.deepEqual(taken().filter((c) => !c.startsWith('Get')), ['DescribeLogGroups', 'CreateLogGroup', 'PutRetentionPolicy', 'UpdateFunctionCode']);
  assert.equal((await group())?.retentionInDays, 60, 'a group deleted behind Hangar\'s back is made again');

  await component.remove(ctx(healed.state, 'm2'));
  assert.equal(await group(), undefined, 'remove deletes the log group');
});

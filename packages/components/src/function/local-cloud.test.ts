/**
 * `function` against the real local cloud: create (and invoke), no-op, update in place, drift,
 * remove, and a deployment session narrowed to its own statements. It shares http-function's
 * implementation; what is checked here is what differs: no HTTP API, and its outputs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiGatewayV2Client, GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { AttachRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { DeleteFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { SessionCredentials } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { strToU8, zipSync } from 'fflate';
import { createHttpFunctionClients, destroyHttpFunctionClients, type HttpFunctionClients } from '../http-function/clients.js';
import { countingHttpFunctionClients, createCallCounter, startCloudWithAccount } from '../internal/local-cloud-testing.js';
import { httpFunctionNames } from '../http-function/names.js';
import { awsClientConfig } from '../sdk/aws-clients.js';
import { isAwsError } from '../sdk/aws-errors.js';
import type { ComponentContext, InstanceRef } from '../sdk/component.js';
import { compactPolicyJson, permissionStatements, sessionPolicyDocument } from '../sdk/permissions.js';
import { validateInputs } from '../sdk/validate.js';
import { createFunction } from './component.js';

let cloud: LocalCloud;
let root: SessionCredentials;
const region = 'us-east-1';
const counted = createCallCounter();
const made: HttpFunctionClients[] = [];
const taken = counted.taken;
const countingClients = countingHttpFunctionClients(counted, made);

const component = createFunction({ createClients: countingClients, maxWaitSeconds: 30 });
const inst = (over: Partial<InstanceRef> = {}): InstanceRef => ({ orgId: 'org_1', appId: 'app_1', app: 'jobs', stage: 'dev', name: 'worker', instanceId: 'inst_f1', ...over });
const zip = (says: string) => zipSync({ 'index.mjs': strToU8(`export const handler = async (event) => ({ says: ${JSON.stringify(says)}, got: event, mem: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE });\n`) });

function context(state: Record<string, unknown>, manifestId: string, says: string, over: Partial<ComponentContext> = {}, logs: string[] = []): ComponentContext {
  return {
    credentials: root, region, endpoint: cloud.endpoint, instance: inst(), state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    source: { manifestId, zip: async () => zip(says) },
    ...over,
  };
}

let lambda: LambdaClient;
before(async () => {
  ({ cloud, credentials: root } = await startCloudWithAccount('444444444444'));
  lambda = new LambdaClient(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
});
after(async () => {
  lambda?.destroy();
  for (const c of made) destroyHttpFunctionClients(c);
  await cloud?.stop();
});

async function invoke(name: string): Promise<{ says: string; mem: string }> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: strToU8(JSON.stringify({ job: 1 })) }));
  return JSON.parse(Buffer.from(out.Payload!).toString('utf8')) as { says: string; mem: string };
}

test('function: create without an HTTP API, no-op, update in place, drift, remove', async () => {
  const { functionName } = httpFunctionNames(inst());
  taken();
  const first = await component.deploy(validateInputs(component, { src: '.', memory: 256 }), context({}, 'm1', 'v1'));
  assert.deepEqual(Object.keys(first.outputs).sort(), ['arn', 'logGroup', 'name', 'roleArn']);
  assert.equal(first.outputs.name, functionName);
  assert.equal(first.outputs.arn, `arn:aws:lambda:us-east-1:444444444444:function:${functionName}`);
  assert.equal(first.outputs.roleArn, `arn:aws:iam::444444444444:role/${functionName}`);
  const firstCalls = taken();
  assert.ok(firstCalls.includes('CreateFunction') && firstCalls.includes('CreateLogGroup'), firstCalls.join(' '));
  assert.ok(!firstCalls.some((c) => /Api|Integration|Route|Stage|Permission/.test(c)), `no API Gateway call and no invoke permission: ${firstCalls.join(' ')}`);
  assert.deepEqual(await invoke(functionName), { says: 'v1', got: { job: 1 }, mem: '256' });
  const apigw = new ApiGatewayV2Client(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
  assert.deepEqual((await apigw.send(new GetApisCommand({}))).Items ?? [], []);
  apigw.destroy();

  const same = await component.deploy(validateInputs(component, { src: '.', memory: 256 }), context(first.state, 'm1', 'v1'));
  assert.deepEqual(taken(), [], 'unchanged inputs and code: no AWS call');
  const changed = await component.deploy(validateInputs(component, { src: '.', memory: 512 }), context(same.state, 'm1', 'v1'));
  const changedCalls = taken();
  assert.ok(changedCalls.includes('UpdateFunctionConfiguration') && !changedCalls.includes('UpdateFunctionCode') && !changedCalls.includes('CreateFunction'), changedCalls.join(' '));
  assert.equal((await invoke(functionName)).mem, '512');

  // Deleted behind Hangar's back: the next deploy that changes anything creates it again.
  await lambda.send(new DeleteFunctionCommand({ FunctionName: functionName }));
  const logs: string[] = [];
  const again = await component.deploy(validateInputs(component, { src: '.', memory: 512 }), context(changed.state, 'm2', 'v2', {}, logs));
  assert.ok(logs.some((l) => /gone from AWS/.test(l)), logs.join('\n'));
  assert.equal((await invoke(functionName)).says, 'v2');

  await component.remove(context(again.state, 'm2', 'v2'));
  await assert.rejects(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })), (e) => isAwsError(e, 'ResourceNotFoundException'));
  const logsClient = createHttpFunctionClients({ credentials: root, region, endpoint: cloud.endpoint });
  assert.deepEqual((await logsClient.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${functionName}` }))).logGroups, []);
  destroyHttpFunctionClients(logsClient);
  await component.remove(context(again.state, 'm2', 'v2')); // twice: nothing left, no error
});

test('function: the deployment session deploys and removes its own function, and nothing else', async () => {
  const clients = createHttpFunctionClients({ credentials: root, region, endpoint: cloud.endpoint });
  const sts = new STSClient(awsClientConfig({ credentials: root, region, endpoint: cloud.endpoint }));
  try {
    const role = await clients.iam.send(new CreateRoleCommand({
      RoleName: 'fn-deployer',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444444444444:root' }, Action: 'sts:AssumeRole' }] }),
    }));
    await clients.iam.send(new AttachRolePolicyCommand({ RoleName: 'fn-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    const mine = inst({ name: 'narrow', instanceId: 'inst_f2' });
    const policy = compactPolicyJson(sessionPolicyDocument(permissionStatements(component.permissions, mine))!);
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role.Role!.Arn!, RoleSessionName: 'hangar-dep-fn', Policy: policy }))).Credentials!;
    const narrowed = new SessionCredentials({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! });
    const ctx = (state: Record<string, unknown>, instance = mine) => context(state, 'mn', 'narrow', { credentials: narrowed, instance });
    const deployed = await component.deploy(validateInputs(component, { src: '.' }), ctx({}));
    assert.equal((await invoke(deployed.outputs.name as string)).says, 'narrow');

    // Another app's or stage's function, API Gateway and DynamoDB are out of reach.
    await assert.rejects(component.deploy(validateInputs(component, { src: '.' }), ctx({}, inst({ app: 'other', name: 'narrow', instanceId: 'inst_f3' }))),
      (e: { code?: string }) => e.code === 'COMPONENT_AWS_ACCESS_DENIED');
    const weak = createHttpFunctionClients({ credentials: narrowed, region, endpoint: cloud.endpoint });
    try {
      await assert.rejects(weak.apigw.send(new GetApisCommand({})), (e) => isAwsError(e, 'AccessDeniedException'));
      await assert.rejects(weak.lambda.send(new InvokeCommand({ FunctionName: deployed.outputs.name as string })), (e) => isAwsError(e, 'AccessDeniedException'));
    } finally {
      destroyHttpFunctionClients(weak);
    }
    await component.remove(ctx(deployed.state));
  } finally {
    destroyHttpFunctionClients(clients);
    sts.destroy();
  }
});

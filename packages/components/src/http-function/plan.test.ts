import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicExecutionPolicyArn, configChanges, observationsNeeded, planHttpFunction, type DesiredHttpFunction } from './plan.js';
import type { HttpFunctionState } from './state.js';

const names = { functionName: 'hangar-shop-dev-api-1a2b3c4d', roleName: 'hangar-shop-dev-api-1a2b3c4d', apiName: 'hangar-shop-dev-api-1a2b3c4d' };
const config = { runtime: 'nodejs20.x' as const, handler: 'index.handler', memory: 1024, timeout: 6, env: { STAGE: 'dev', TABLE: 'orders' } };
const desired: DesiredHttpFunction = { names, config, codeHash: 'manifest:aaa' };

/** The state a successful first deploy leaves. */
const deployed: HttpFunctionState = {
  role: { name: names.roleName, arn: `arn:aws:iam::222222222222:role/${names.roleName}`, policies: [basicExecutionPolicyArn] },
  function: { name: names.functionName, arn: `arn:aws:lambda:us-east-1:222222222222:function:${names.functionName}`, codeHash: 'manifest:aaa', config },
  api: { id: 'abc123', endpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com', integrationId: 'int1', routeId: 'r1', stageName: '$default', permissionSid: 'hangar-apigw-abc123' },
};

const ops = (p: { operations: readonly { op: string }[] }) => p.operations.map((o) => o.op);

test('a first deploy creates the role, the function and a wired HTTP API, in order', () => {
  const plan = planHttpFunction(desired, {});
  assert.deepEqual(ops(plan), [
    'createRole', 'attachRolePolicy', 'createFunction', 'createApi', 'createIntegration', 'createRoute', 'createStage', 'addPermission',
  ]);
  assert.deepEqual(plan.operations[1], { op: 'attachRolePolicy', roleName: names.roleName, policyArn: basicExecutionPolicyArn });
  assert.deepEqual(plan.operations[2], { op: 'createFunction', functionName: names.functionName, config, codeHash: 'manifest:aaa' });
});

test('redeploying the same code and configuration plans nothing', () => {
  assert.deepEqual(planHttpFunction(desired, deployed).operations, []);
  // env written in another order is the same env
  const reordered = { ...desired, config: { ...config, env: { TABLE: 'orders', STAGE: 'dev' } } };
  assert.deepEqual(planHttpFunction(reordered, deployed).operations, []);
});

test('a code change plans only updateFunctionCode', () => {
  const plan = planHttpFunction({ ...desired, codeHash: 'manifest:bbb' }, deployed);
  assert.deepEqual(plan.operations, [{ op: 'updateFunctionCode', functionName: names.functionName, codeHash: 'manifest:bbb' }]);
});

test('a configuration change plans only updateFunctionConfiguration, naming what changed', () => {
  const plan = planHttpFunction({ ...desired, config: { ...config, memory: 512, env: { STAGE: 'dev' } } }, deployed);
  assert.deepEqual(plan.operations, [{
    op: 'updateFunctionConfiguration', functionName: names.functionName, config: { ...config, memory: 512, env: { STAGE: 'dev' } }, changed: ['memory', 'env'],
  }]);
});

test('code and configuration changed together: configuration first, then code', () => {
  assert.deepEqual(ops(planHttpFunction({ ...desired, codeHash: 'sha256:ff', config: { ...config, timeout: 30 } }, deployed)), [
    'updateFunctionConfiguration', 'updateFunctionCode',
  ]);
});

test('a role already present is adopted: no createRole, and the policy attached only if missing', () => {
  const role = { name: names.roleName, arn: 'arn:aws:iam::222222222222:role/x', policies: [basicExecutionPolicyArn] };
  assert.deepEqual(ops(planHttpFunction(desired, {}, { role, function: null })), [
    'createFunction', 'createApi', 'createIntegration', 'createRoute', 'createStage', 'addPermission',
  ]);
  assert.deepEqual(ops(planHttpFunction(desired, {}, { role: { ...role, policies: [] }, function: null })).slice(0, 2), [
    'attachRolePolicy', 'createFunction',
  ]);
});

test('an API already present is kept; only its missing parts are created', () => {
  const { role, function: fn } = deployed;
  const partial: HttpFunctionState = { role, function: fn, api: { id: 'abc123', endpoint: 'https://x', integrationId: 'int1' } };
  assert.deepEqual(ops(planHttpFunction(desired, partial)), ['createRoute', 'createStage', 'addPermission']);
});

test('a function left by a failed deploy is adopted and brought up to date rather than created again', () => {
  const fn = { name: names.functionName, arn: 'arn:aws:lambda:us-east-1:222222222222:function:f' };
  assert.deepEqual(ops(planHttpFunction(desired, { role: deployed.role }, { function: fn })), [
    'updateFunctionConfiguration', 'updateFunctionCode', 'createApi', 'createIntegration', 'createRoute', 'createStage', 'addPermission',
  ]);
  // observed with its configuration: only what differs is updated
  assert.deepEqual(ops(planHttpFunction(desired, { role: deployed.role }, { function: { ...fn, config } })).slice(0, 2), [
    'updateFunctionCode', 'createApi',
  ]);
});

test('a function found missing is created again and the API is allowed to call it again', () => {
  assert.deepEqual(ops(planHttpFunction(desired, deployed, { function: null })), ['createFunction', 'addPermission']);
});

test('HTTP APIs left by a failed deploy are deleted before a fresh one is made', () => {
  const plan = planHttpFunction(desired, { role: deployed.role, function: deployed.function }, { strayApiIds: ['old1', 'old2'] });
  assert.deepEqual(plan.operations.slice(0, 3), [{ op: 'deleteApi', apiId: 'old1' }, { op: 'deleteApi', apiId: 'old2' }, { op: 'createApi', apiName: names.apiName }]);
});

test('removal deletes the API, the permission, the function, the role policies and the role', () => {
  assert.deepEqual(planHttpFunction(null, deployed).operations, [
    { op: 'deleteApi', apiId: 'abc123' },
    { op: 'removePermission', functionName: names.functionName, statementId: 'hangar-apigw-abc123' },
    { op: 'deleteFunction', functionName: names.functionName },
    { op: 'detachRolePolicy', roleName: names.roleName, policyArn: basicExecutionPolicyArn },
    { op: 'deleteRole', roleName: names.roleName },
  ]);
});

test('removal of nothing plans nothing; removal skips what is already gone and finds what the state missed', () => {
  assert.deepEqual(planHttpFunction(null, {}).operations, []);
  assert.deepEqual(ops(planHttpFunction(null, deployed, { role: null, function: null })), ['deleteApi']);
  const role = { name: 'r', arn: 'arn:aws:iam::1:role/r', policies: [] };
  assert.deepEqual(ops(planHttpFunction(null, {}, { role, function: { name: 'f', arn: 'a' }, strayApiIds: ['s1'] })), [
    'deleteApi', 'deleteFunction', 'deleteRole',
  ]);
});

test('removal skips an API found already deleted', () => {
  assert.deepEqual(ops(planHttpFunction(null, deployed, { recordedApiMissing: true, strayApiIds: [] })), [
    'deleteFunction', 'detachRolePolicy', 'deleteRole',
  ]);
});

test('only what the state does not record needs a look at the cloud', () => {
  assert.deepEqual(observationsNeeded({}), { role: true, function: true, apis: true, logGroup: true });
  assert.deepEqual(observationsNeeded({ ...deployed, logGroup: withGroup.logGroup }), { role: false, function: false, apis: false, logGroup: false });
  assert.deepEqual(observationsNeeded({ role: deployed.role }), { role: false, function: true, apis: true, logGroup: true });
});

test('configChanges lists every setting when the current ones are unknown', () => {
  assert.deepEqual(configChanges(undefined, config), ['runtime', 'handler', 'memory', 'timeout', 'env']);
  assert.deepEqual(configChanges(config, { ...config, env: { ...config.env, NEW: '1' } }), ['env']);
  assert.deepEqual(configChanges(config, { ...config, handler: 'app.main' }), ['handler']);
});

const tags = { 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' };
const logGroup = { name: `/aws/lambda/${names.functionName}`, retentionInDays: 30, tags };
const withGroup: HttpFunctionState = { ...deployed, logGroup };

test('the log group is created before the function (Lambda would otherwise make it without retention)', () => {
  const plan = planHttpFunction({ ...desired, logGroup }, {});
  assert.deepEqual(ops(plan).slice(0, 4), ['createRole', 'attachRolePolicy', 'createLogGroup', 'createFunction']);
  assert.deepEqual(plan.operations[2], { op: 'createLogGroup', logGroupName: logGroup.name, retentionInDays: 30, tags });
});

test('the log group\'s retention and tags are updated in place, only when they differ', () => {
  assert.deepEqual(planHttpFunction({ ...desired, logGroup }, withGroup).operations, []);
  assert.deepEqual(planHttpFunction({ ...desired, logGroup: { ...logGroup, retentionInDays: 7 } }, withGroup).operations, [
    { op: 'putRetentionPolicy', logGroupName: logGroup.name, retentionInDays: 7 },
  ]);
  assert.deepEqual(planHttpFunction({ ...desired, logGroup: { ...logGroup, tags: { ...tags, 'hangar:app': 'shop2' } } }, withGroup).operations, [
    { op: 'tagLogGroup', logGroupName: logGroup.name, tags: { ...tags, 'hangar:app': 'shop2' } },
  ]);
  // Tags someone else added are left alone.
  const extra = { logGroup: { ...logGroup, tags: { ...tags, owner: 'ops' } } };
  assert.deepEqual(planHttpFunction({ ...desired, logGroup }, withGroup, extra).operations, []);
});

test('a log group found missing is created again; one found without retention or tags is put right', () => {
  assert.deepEqual(ops(planHttpFunction({ ...desired, logGroup }, withGroup, { logGroup: null })), ['createLogGroup']);
  assert.deepEqual(ops(planHttpFunction({ ...desired, logGroup }, withGroup, { logGroup: { name: logGroup.name } })), ['putRetentionPolicy', 'tagLogGroup']);
});

test('removal deletes the log group after the function', () => {
  assert.deepEqual(ops(planHttpFunction(null, withGroup)), ['deleteApi', 'removePermission', 'deleteFunction', 'deleteLogGroup', 'detachRolePolicy', 'deleteRole']);
  assert.deepEqual(ops(planHttpFunction(null, withGroup, { logGroup: null, role: null, function: null, recordedApiMissing: true })), []);
  assert.deepEqual(ops(planHttpFunction(null, {}, { logGroup: { name: logGroup.name } })), ['deleteLogGroup']);
});

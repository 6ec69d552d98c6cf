import { CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand, DeleteApiCommand } from '@aws-sdk/client-apigatewayv2';
import {
  CreateLogGroupCommand, DeleteLogGroupCommand, PutRetentionPolicyCommand, TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand, CreateRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand, GetRoleCommand, PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand, CreateFunctionCommand, DeleteFunctionCommand, RemovePermissionCommand, UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { HangarError } from '@hangar/core';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { ComponentLogger, ComponentSource } from '../sdk/component.js';
import type { HttpFunctionClients } from './clients.js';
import { invokePermissionSid } from './names.js';
import type { FunctionConfig, HttpFunctionState } from './state.js';
import type { HttpFunctionOperation, HttpFunctionPlan } from './plan.js';
import { deleteRoleAndLeftovers } from './delete-role.js';
import { settledBy, waitForFunctionReady, type FunctionStatus } from './wait.js';
import type { CodeLocation } from './layer.js';

export interface ApplyDeps {
  readonly clients: HttpFunctionClients;
  readonly region: string;
  readonly log: ComponentLogger;
  readonly source?: ComponentSource;
  readonly signal?: AbortSignal;
  /** Tags put on everything created (hangar:instance and friends). */
  readonly tags: Readonly<Record<string, string>>;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long the Lambda waiters may wait, in seconds. */
  readonly maxWaitSeconds: number;
  /** Where the code goes (inline, or staged in S3 when over the direct-upload limit); default `{ ZipFile: source.zip() }`. */
  readonly codeLocation?: () => Promise<CodeLocation>;
  /** The component deploying (named in descriptions and messages); default http-function. */
  readonly componentName?: string;
}

/** The trust policy of the execution role: only Lambda may assume it. */
export const lambdaTrustPolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * Runs a plan's operations in order with the clients passed in and returns the new state.
 * After each create or update of the function it waits until Lambda reports it Active and its
 * last update Successful, so the next call never meets a ResourceConflictException (no poll when
 * the call's own answer already says so).
 */
export async function applyHttpFunctionPlan(plan: HttpFunctionPlan, previous: HttpFunctionState, deps: ApplyDeps): Promise<HttpFunctionState> {
  const state = structuredClone(previous) as Mutable<HttpFunctionState>;
  const run = createRunner(state, deps);
  for (const op of plan.operations) {
    deps.signal?.throwIfAborted();
    await run(op);
  }
  return state;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function createRunner(state: Mutable<HttpFunctionState>, deps: ApplyDeps): (op: HttpFunctionOperation) => Promise<void> {
  const { clients: { iam, lambda, apigw, logs }, log, signal } = deps;
  const opts = signal ? { abortSignal: signal } : {};
  const component = deps.componentName ?? 'http-function';
  let roleCreatedNow = false;
  let zip: Promise<Uint8Array> | undefined;
  const code = (): Promise<Uint8Array> => {
    if (!deps.source) throw new HangarError('COMPONENT_SOURCE_MISSING', `${component} needs its code: set inputs.src to the folder holding your handler and deploy again.`);
    zip ??= deps.source.zip();
    return zip;
  };
  const location = async (): Promise<CodeLocation> => (deps.codeLocation ? deps.codeLocation() : { ZipFile: await code() });
  const fn = () => { if (!state.function) throw new Error('plan order: function before its use'); return state.function; };
  const api = () => { if (!state.api) throw new Error('plan order: API before its parts'); return state.api; };
  /** Polls until the function is ready, unless the answer of the call that changed it already says so. */
  const waitReady = async (name: string, answer?: FunctionStatus) => {
    if (!settledBy(answer)) await waitForFunctionReady(lambda, name, deps);
  };

  return async (op) => {
    switch (op.op) {
      case 'createRole': {
        log.info(`Creating execution role ${op.roleName}`);
        const arn = await awsCall('iam:CreateRole', op.roleName, async () => {
          try {
            const out = await iam.send(new CreateRoleCommand({
              RoleName: op.roleName, AssumeRolePolicyDocument: lambdaTrustPolicy, Description: `Execution role of a Hangar ${component}`,
              Tags: Object.entries(deps.tags).map(([Key, Value]) => ({ Key, Value })),
            }), opts);
            return out.Role?.Arn;
          } catch (e) {
            if (!isAwsError(e, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw e;
            return (await iam.send(new GetRoleCommand({ RoleName: op.roleName }), opts)).Role?.Arn;
          }
        });
        state.role = { name: op.roleName, arn: required(arn, 'CreateRole', 'Role.Arn'), policies: [] };
        roleCreatedNow = true;
        return;
      }
      case 'attachRolePolicy': {
        log.info(`Attaching ${op.policyArn.split('/').pop()} to ${op.roleName}`);
        await awsCall('iam:AttachRolePolicy', op.roleName, () => iam.send(new AttachRolePolicyCommand({ RoleName: op.roleName, PolicyArn: op.policyArn }), opts));
        if (state.role && !state.role.policies.includes(op.policyArn)) state.role = { ...state.role, policies: [...state.role.policies, op.policyArn] };
        return;
      }
      case 'putRolePolicy': {
        log.info(`Putting the permissions policy on ${op.roleName}`);
        await awsCall('iam:PutRolePolicy', op.roleName, () => iam.send(new PutRolePolicyCommand({
          RoleName: op.roleName, PolicyName: op.policyName, PolicyDocument: op.document,
        }), opts));
        if (state.role) state.role = { ...state.role, inlinePolicy: op.document };
        return;
      }
      case 'deleteRolePolicy': {
        log.info(`Deleting the permissions policy of ${op.roleName}`);
        await ignoreMissing('iam:DeleteRolePolicy', op.roleName, ['NoSuchEntityException', 'NoSuchEntity'], () =>
          iam.send(new DeleteRolePolicyCommand({ RoleName: op.roleName, PolicyName: op.policyName }), opts));
        if (state.role) {
          const { inlinePolicy: _gone, ...rest } = state.role;
          state.role = rest;
        }
        return;
      }
      case 'createLogGroup': {
        const { logGroupName: name, retentionInDays, tags } = op;
        log.info(`Creating log group ${name} (logs kept ${retentionInDays} days)`);
        await awsCall('logs:CreateLogGroup', name, async () => {
          try {
            await logs.send(new CreateLogGroupCommand({ logGroupName: name, ...(Object.keys(tags).length ? { tags: { ...tags } } : {}) }), opts);
          } catch (e) {
            // Lambda made it first (an invocation before Hangar managed it): adopt it.
            if (!isAwsError(e, 'ResourceAlreadyExistsException')) throw e;
            if (Object.keys(tags).length === 0) return;
            await logs.send(new TagResourceCommand({ resourceArn: logGroupArn(state, deps.region, name), tags: { ...tags } }), opts);
          }
        });
        state.logGroup = { name, tags: { ...tags } };
        await awsCall('logs:PutRetentionPolicy', name, () => logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }), opts));
        state.logGroup = { ...state.logGroup, retentionInDays };
        return;
      }
      case 'putRetentionPolicy': {
        log.info(`Keeping the logs of ${op.logGroupName} ${op.retentionInDays} days`);
        await awsCall('logs:PutRetentionPolicy', op.logGroupName, () =>
          logs.send(new PutRetentionPolicyCommand({ logGroupName: op.logGroupName, retentionInDays: op.retentionInDays }), opts));
        if (state.logGroup) state.logGroup = { ...state.logGroup, retentionInDays: op.retentionInDays };
        return;
      }
      case 'tagLogGroup': {
        const resourceArn = logGroupArn(state, deps.region, op.logGroupName);
        await awsCall('logs:TagResource', resourceArn, () => logs.send(new TagResourceCommand({ resourceArn, tags: { ...op.tags } }), opts));
        if (state.logGroup) state.logGroup = { ...state.logGroup, tags: { ...state.logGroup.tags, ...op.tags } };
        return;
      }
      case 'createFunction': {
        log.info(`Creating function ${op.functionName} (${op.config.runtime}, ${op.config.memory} MB, ${op.config.timeout} s)`);
        const roleArn = required(state.role?.arn, 'plan', 'role');
        const Code = await location();
        const create = () => lambda.send(new CreateFunctionCommand({
          FunctionName: op.functionName, Role: roleArn, Code, Description: `Deployed by Hangar (${component})`,
          ...configFields(op.config), Tags: { ...deps.tags },
        }), opts);
        const out = await awsCall('lambda:CreateFunction', op.functionName, () => retryWhileRolePropagates(create, roleCreatedNow, deps));
        state.function = { name: op.functionName, arn: required(out.FunctionArn, 'CreateFunction', 'FunctionArn'), config: op.config };
        await waitReady(op.functionName, out);
        state.function = { ...state.function, codeHash: op.codeHash };
        return;
      }
      case 'updateFunctionConfiguration': {
        log.info(`Updating function configuration (${op.changed.join(', ')})`);
        const roleArn = required(state.role?.arn, 'plan', 'role');
        const out = await awsCall('lambda:UpdateFunctionConfiguration', op.functionName, () =>
          lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: op.functionName, Role: roleArn, ...configFields(op.config) }), opts));
        await waitReady(op.functionName, out);
        state.function = { ...fn(), config: op.config };
        return;
      }
      case 'updateFunctionCode': {
        log.info('Updating function code');
        const where = await location();
        const out = await awsCall('lambda:UpdateFunctionCode', op.functionName, () => lambda.send(new UpdateFunctionCodeCommand({ FunctionName: op.functionName, ...where }), opts));
        await waitReady(op.functionName, out);
        state.function = { ...fn(), codeHash: op.codeHash };
        return;
      }
      case 'createApi': {
        log.info(`Creating HTTP API ${op.apiName}`);
        const out = await awsCall('apigateway:POST', op.apiName, () =>
          apigw.send(new CreateApiCommand({ Name: op.apiName, ProtocolType: 'HTTP', Tags: { ...deps.tags } }), opts));
        state.api = { id: required(out.ApiId, 'CreateApi', 'ApiId'), endpoint: required(out.ApiEndpoint, 'CreateApi', 'ApiEndpoint') };
        return;
      }
      case 'createIntegration': {
        log.info(`Connecting HTTP API ${api().id} to ${fn().name} (AWS_PROXY, payload 2.0, route $default, stage $default)`);
        const out = await awsCall('apigateway:POST', `${api().id} integrations`, () => apigw.send(new CreateIntegrationCommand({
          ApiId: api().id, IntegrationType: 'AWS_PROXY', IntegrationUri: fn().arn, PayloadFormatVersion: '2.0',
        }), opts));
        state.api = { ...api(), integrationId: required(out.IntegrationId, 'CreateIntegration', 'IntegrationId') };
        return;
      }
      case 'createRoute': {
        const integrationId = required(api().integrationId, 'plan', 'integration');
        const out = await awsCall('apigateway:POST', `${api().id} routes`, () =>
          apigw.send(new CreateRouteCommand({ ApiId: api().id, RouteKey: '$default', Target: `integrations/${integrationId}` }), opts));
        state.api = { ...api(), routeId: required(out.RouteId, 'CreateRoute', 'RouteId') };
        return;
      }
      case 'createStage': {
        await awsCall('apigateway:POST', `${api().id} stages`, () =>
          apigw.send(new CreateStageCommand({ ApiId: api().id, StageName: '$default', AutoDeploy: true }), opts));
        state.api = { ...api(), stageName: '$default' };
        return;
      }
      case 'addPermission': {
        const { id } = api();
        const { arn, name } = fn();
        const StatementId = invokePermissionSid(id);
        log.info(`Allowing HTTP API ${id} to invoke ${name}`);
        await awsCall('lambda:AddPermission', name, async () => {
          try {
            await lambda.send(new AddPermissionCommand({
              FunctionName: name, StatementId, Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com', SourceArn: executeApiArn(arn, id),
            }), opts);
          } catch (e) {
            if (!isAwsError(e, 'ResourceConflictException')) throw e; // the statement is already there
          }
        });
        state.api = { ...api(), permissionSid: StatementId };
        return;
      }
      case 'deleteApi': {
        log.info(`Deleting HTTP API ${op.apiId}`);
        await ignoreMissing('apigateway:DELETE', op.apiId, ['NotFoundException'], () => apigw.send(new DeleteApiCommand({ ApiId: op.apiId }), opts));
        if (state.api?.id === op.apiId) delete state.api;
        return;
      }
      case 'removePermission': {
        await ignoreMissing('lambda:RemovePermission', op.functionName, ['ResourceNotFoundException'], () =>
          lambda.send(new RemovePermissionCommand({ FunctionName: op.functionName, StatementId: op.statementId }), opts));
        return;
      }
      case 'deleteFunction': {
        log.info(`Deleting function ${op.functionName}`);
        await ignoreMissing('lambda:DeleteFunction', op.functionName, ['ResourceNotFoundException'], () =>
          lambda.send(new DeleteFunctionCommand({ FunctionName: op.functionName }), opts));
        delete state.function;
        return;
      }
      case 'deleteLogGroup': {
        log.info(`Deleting log group ${op.logGroupName}`);
        await ignoreMissing('logs:DeleteLogGroup', op.logGroupName, ['ResourceNotFoundException'], () =>
          logs.send(new DeleteLogGroupCommand({ logGroupName: op.logGroupName }), opts));
        delete state.logGroup;
        return;
      }
      case 'detachRolePolicy': {
        await ignoreMissing('iam:DetachRolePolicy', op.roleName, ['NoSuchEntityException', 'NoSuchEntity'], () =>
          iam.send(new DetachRolePolicyCommand({ RoleName: op.roleName, PolicyArn: op.policyArn }), opts));
        if (state.role) state.role = { ...state.role, policies: state.role.policies.filter((p) => p !== op.policyArn) };
        return;
      }
      case 'deleteRole': {
        log.info(`Deleting execution role ${op.roleName}`);
        await deleteRoleAndLeftovers(iam, op.roleName, signal);
        delete state.role;
        return;
      }
    }
  };
}

function configFields(config: FunctionConfig) {
  return {
    Runtime: config.runtime as 'nodejs20.x', Handler: config.handler, MemorySize: config.memory, Timeout: config.timeout,
    Environment: { Variables: { ...config.env } },
    // Sent only when the component manages layers, so a function without any keeps its requests as before.
    ...(config.layers ? { Layers: [...config.layers] } : {}),
  };
}

/**
 * `arn:<partition>:logs:<region>:<account>:log-group:<name>`, the ARN TagResource takes; the
 * partition and account come from the role or function ARN already in the state.
 */
function logGroupArn(state: HttpFunctionState, region: string, name: string): string {
  const known = state.role?.arn ?? state.function?.arn;
  const [, partition, , , account] = known?.split(':') ?? [];
  if (!partition || !account) throw new Error('plan order: the role before the log group');
  return `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
}

/** The execute-api ARN pattern for every stage and route of the API, in the function's partition, region and account. */
export function executeApiArn(functionArn: string, apiId: string): string {
  const [, partition, , region, account] = functionArn.split(':');
  return `arn:${partition}:execute-api:${region}:${account}:${apiId}/*/*`;
}

/**
 * A role created seconds ago is not yet assumable by Lambda everywhere in AWS; CreateFunction
 * answers InvalidParameterValueException until it is. Only then is it retried.
 */
async function retryWhileRolePropagates<T>(call: () => Promise<T>, roleIsNew: boolean, deps: Pick<ApplyDeps, 'sleep' | 'log' | 'signal'>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!roleIsNew || attempt >= 8 || !isAwsError(e, 'InvalidParameterValueException')) throw e;
      if (attempt === 1) deps.log.info('Waiting for the new execution role to become usable by Lambda');
      deps.signal?.throwIfAborted();
      await deps.sleep(Math.min(1000 * attempt, 5000));
    }
  }
}

async function ignoreMissing(action: string, resource: string, names: string[], call: () => Promise<unknown>): Promise<void> {
  await awsCall(action, resource, async () => {
    try {
      await call();
    } catch (e) {
      if (!isAwsError(e, ...names)) throw e;
    }
  });
}

function required<T>(value: T | undefined | null, call: string, field: string): T {
  if (value === undefined || value === null) {
    throw new HangarError('COMPONENT_AWS_ERROR', `AWS answered ${call} without ${field}; the endpoint may not be AWS-compatible.`, { details: { call, field } });
  }
  return value;
}

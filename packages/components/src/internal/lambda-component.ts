import { checkHandlerFile, HangarError } from '@hangar/core';
import type { Component, ComponentContext, DeployResult, InstanceRef, PermissionStatement } from '../sdk/component.js';
import { applyHttpFunctionPlan } from '../http-function/apply.js';
import { createHttpFunctionClients, destroyHttpFunctionClients, type HttpFunctionClients } from '../http-function/clients.js';
import { httpFunctionInputs, type HttpFunctionInputs } from '../http-function/inputs.js';
import { inlinePolicyOf } from '../sdk/function-permissions.js';
import { functionLogGroupName, httpFunctionNames, type HttpFunctionNames } from '../http-function/names.js';
import { observeHttpFunction } from '../http-function/observe.js';
import { currentState, observationsNeeded, planHttpFunction, type DesiredHttpFunction, type HttpFunctionOperation, type ObservedHttpFunction } from '../http-function/plan.js';
import { httpFunctionStateSchema, type HttpFunctionState } from '../http-function/state.js';
import { instanceTags } from '../sdk/names.js';
import { S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig } from '../sdk/aws-clients.js';
import {
  deleteUnusedLayerVersions, deploymentBucketName, isLayerAction, layerActions, layerStatements, prepareCode, stagingActions, stagingStatements,
  type LambdaLimits, type PreparedCode, type S3Staging,
} from '../http-function/layer.js';

export interface HttpFunctionDeps {
  /** Builds the AWS clients for a context (default: SDK v3 clients from ctx's credentials, region and endpoint). */
  readonly createClients?: (ctx: ComponentContext) => HttpFunctionClients;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest wait for Lambda to report a function ready, in seconds (default 300). */
  readonly maxWaitSeconds?: number;
  /** Lambda's size limits (tests lower them); default 50 MB zipped direct upload, 250 MB unzipped. */
  readonly limits?: LambdaLimits;
  /** The S3 client for the deployment bucket (default: SDK v3, path-style against the local cloud); null: never upload through S3. */
  readonly createS3Client?: ((ctx: ComponentContext) => S3Client) | null;
}

/** What a Lambda function's deployment calls (http-function adds API Gateway's actions). */
export const functionActions = [
  'iam:CreateRole', 'iam:GetRole', 'iam:TagRole', 'iam:PassRole', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePolicy',
  'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:DeleteRole',
  'lambda:CreateFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration',
  'lambda:AddPermission', 'lambda:RemovePermission', 'lambda:DeleteFunction', 'lambda:TagResource',
  'logs:CreateLogGroup', 'logs:DescribeLogGroups', 'logs:PutRetentionPolicy', 'logs:TagResource', 'logs:ListTagsForResource',
  'logs:DeleteLogGroup',
  ...layerActions,
  ...stagingActions,
] as const;

/**
 * The statements of a function's deployment: its actions on its own role, function and log group
 * only (DescribeLogGroups is authorised on `log-group:*` by AWS). `actions` may hold more services
 * (http-function's API Gateway actions); those are left to the caller.
 */
export function functionStatements(instance: InstanceRef, actions: readonly string[]): PermissionStatement[] {
  const { functionName, roleName } = httpFunctionNames(instance);
  const group = `arn:aws*:logs:*:*:log-group:${functionLogGroupName(functionName)}`;
  const of = (service: string) => actions.filter((a) => a.startsWith(`${service}:`));
  return [
    { actions: of('iam'), resources: [`arn:aws*:iam::*:role/${roleName}`] },
    { actions: of('lambda').filter((a) => !isLayerAction(a)), resources: [`arn:aws*:lambda:*:*:function:${functionName}`] },
    // The dependencies layer: its name, its versions; ListLayerVersions is authorised on `*` by AWS.
    ...layerStatements(functionName),
    ...stagingStatements(instance),
    { actions: of('logs').filter((a) => a !== 'logs:DescribeLogGroups'), resources: [group, `${group}:*`] },
    { actions: ['logs:DescribeLogGroups'], resources: ['arn:aws*:logs:*:*:log-group:*'] },
  ];
}

/** What tells `http-function` and `function` apart. */
export interface LambdaComponentKind {
  readonly name: string;
  readonly description: string;
  /** With an HTTP API in front (http-function) or without (function). */
  readonly http: boolean;
  readonly permissions: (instance: InstanceRef) => PermissionStatement[];
  /** The outputs, from the state after a deploy. */
  outputs(state: HttpFunctionState, ctx: ComponentContext): Record<string, unknown>;
}

/**
 * A Node.js 20 Lambda function with its own execution role and log group, with or without an
 * HTTP API in front: the one implementation behind `http-function` and `function` (plan, apply,
 * observe and drift handling shared). `deps.createClients` lets a test wrap or count the AWS calls.
 */
export function createLambdaComponent(kind: LambdaComponentKind, deps: HttpFunctionDeps = {}): Component<HttpFunctionInputs> {
  const createClients = deps.createClients ?? createHttpFunctionClients;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxWaitSeconds = deps.maxWaitSeconds ?? 300;

  async function withClients<T>(ctx: ComponentContext, body: (clients: HttpFunctionClients) => Promise<T>): Promise<T> {
    const clients = createClients(ctx);
    try {
      return await body(clients);
    } finally {
      if (!deps.createClients) destroyHttpFunctionClients(clients);
    }
  }

  // A function without an API never looks at APIs (its session may not).
  const everything = { role: true, function: true, apis: kind.http, logGroup: true } as const;
  const applyDeps = (ctx: ComponentContext, clients: HttpFunctionClients, prepared?: PreparedCode) => ({
    clients, region: ctx.region, log: ctx.log, tags: instanceTags(ctx.instance), sleep, maxWaitSeconds, componentName: kind.name,
    ...(prepared ? { source: prepared.source, codeLocation: prepared.location } : ctx.source ? { source: ctx.source } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });

  /** The deployment bucket for zips over Lambda's direct-upload limit; its S3 client is made only if used. */
  function staging(ctx: ComponentContext): S3Staging & { destroy(): void } {
    let client: S3Client | undefined;
    return {
      bucket: deploymentBucketName(ctx.instance, ctx.region), region: ctx.region, prefix: `${ctx.instance.instanceId}/`,
      s3: () => (client ??= deps.createS3Client ? deps.createS3Client(ctx) : new S3Client({ ...awsClientConfig(ctx), forcePathStyle: ctx.endpoint !== undefined })),
      destroy: () => { if (!deps.createS3Client) client?.destroy(); },
    };
  }

  return {
    name: kind.name,
    description: kind.description,
    inputs: httpFunctionInputs,
    permissions: kind.permissions,

    checkSource(inputs: HttpFunctionInputs, paths: readonly string[]): void {
      checkHandlerFile(inputs.handler, paths);
    },

    async deploy(inputs: HttpFunctionInputs, ctx: ComponentContext): Promise<DeployResult> {
      if (!ctx.source) {
        throw new HangarError('COMPONENT_SOURCE_MISSING', `${kind.name} needs its code: set inputs.src to the folder holding your handler and deploy again.`);
      }
      const previous = readState(ctx.state);
      const derived = httpFunctionNames(ctx.instance);
      const names = knownNames(previous, derived);
      const source = ctx.source;
      const stage = deps.createS3Client === null ? undefined : staging(ctx);
      let cleanup = async () => {};
      try {
        return await withClients(ctx, async (clients) => {
          // node_modules goes into a layer version, published only when its entries changed.
          const prepared = await prepareCode(source, names.functionName, previous.layer, {
            lambda: clients.lambda, log: ctx.log, ...(ctx.signal ? { signal: ctx.signal } : {}), ...(deps.limits ? { limits: deps.limits } : {}),
            ...(stage ? { staging: stage } : {}),
          });
          cleanup = prepared.cleanup;
          const desired: DesiredHttpFunction = {
            names: derived,
            config: {
              runtime: 'nodejs20.x', handler: inputs.handler, memory: inputs.memory, timeout: inputs.timeout, env: { ...inputs.env },
              ...(source.layered ? { layers: [...prepared.layers] } : {}),
            },
            codeHash: prepared.codeHash,
            logGroup: { name: functionLogGroupName(names.functionName), retentionInDays: inputs.logRetentionDays, tags: instanceTags(ctx.instance) },
            ...inlinePolicyOf(inputs.permissions),
            http: kind.http,
          };
          const need = observationsNeeded(previous, kind.http);
          // Only a state missing parts (first deploy, or one that failed half-way) costs a look.
          let observed = need.role || need.function || need.apis || need.logGroup
            ? await observeHttpFunction(clients, names, need, previous.api?.id, ctx.signal)
            : {};
          let plan = planHttpFunction(desired, previous, observed);
          if (!need.logGroup && (ctx.refresh === true || !plan.operations.every(isCodeChange))) {
            // --refresh, or the configuration changes anyway: look at the log group too, so one
            // deleted (or stripped of its retention by Lambda recreating it) outside Hangar is put
            // right. A change of code or dependencies only (a one-file redeploy) and an unchanged
            // redeploy trust the state: the first makes only the update, the second no call at all.
            observed = { ...observed, logGroup: await lookAtLogGroup(clients, names, previous, ctx.signal) };
            plan = planHttpFunction(desired, previous, observed);
          }
          if (plan.operations.length === 0) ctx.log.info(`No changes: the function, its log group${kind.http ? ' and its HTTP API' : ''} are up to date`);
          let state: HttpFunctionState;
          try {
            state = await applyHttpFunctionPlan(plan, currentState(previous, observed), applyDeps(ctx, clients, prepared));
          } catch (e) {
            if (!isGone(e)) throw e;
            // Something the state records was deleted outside Hangar: look at everything, then converge.
            const { action, resource } = (e as HangarError).details ?? {};
            ctx.log.warn(`${String(action)} found ${String(resource)} gone from AWS; checking what exists and deploying again`);
            const seen = await observeHttpFunction(clients, names, everything, previous.api?.id, ctx.signal);
            state = await applyHttpFunctionPlan(planHttpFunction(desired, previous, seen), currentState(previous, seen), applyDeps(ctx, clients, prepared));
          }
          if (prepared.layer) state = { ...state, layer: prepared.layer };
          else delete (state as { layer?: unknown }).layer;
          // The function's configuration now names the new version (or none): the old ones can go.
          if (previous.layer && previous.layer.arn !== prepared.layer?.arn) {
            await deleteUnusedLayerVersions(clients.lambda, previous.layer.name, prepared.layer?.arn, ctx.log, ctx.signal);
          }
          return { outputs: kind.outputs(state, ctx), state: state as Record<string, unknown> };
        });
      } finally {
        // Lambda has copied what was staged in S3 (or the deploy failed): the objects can go.
        await cleanup().catch((e: unknown) => ctx.log.warn(`Could not delete the staged code from s3://${stage?.bucket ?? ''}: ${e instanceof Error ? e.message : String(e)}`));
        stage?.destroy();
      }
    },

    async remove(ctx: ComponentContext): Promise<void> {
      const previous = readState(ctx.state);
      const names = knownNames(previous, httpFunctionNames(ctx.instance));
      await withClients(ctx, async (clients) => {
        const observed = await observeHttpFunction(clients, names, everything, previous.api?.id, ctx.signal);
        const plan = planHttpFunction(null, previous, observed);
        await applyHttpFunctionPlan(plan, currentState(previous, observed), applyDeps(ctx, clients));
        // After the function: a layer version still in use by a function can be deleted on AWS, but then no longer read.
        if (previous.layer) await deleteUnusedLayerVersions(clients.lambda, previous.layer.name, undefined, ctx.log, ctx.signal);
        ctx.log.info(plan.operations.length ? `Removed the function, its log group, ${kind.http ? 'its HTTP API ' : ''}and its execution role` : 'Nothing to remove');
      });
    },
  };
}


/**
 * The log group as it is now, with one call: its tags are not read. A group whose retention is
 * still the one Hangar set is taken to keep Hangar's tags; any other is tagged again.
 */
async function lookAtLogGroup(
  clients: HttpFunctionClients, names: HttpFunctionNames, previous: HttpFunctionState, signal?: AbortSignal,
): Promise<ObservedHttpFunction['logGroup']> {
  const seen = (await observeHttpFunction(clients, names, { role: false, function: false, apis: false, logGroup: true, logGroupTags: false }, undefined, signal)).logGroup;
  const known = previous.logGroup;
  return seen && known?.tags && seen.retentionInDays === known.retentionInDays ? { ...seen, tags: known.tags } : seen;
}

/** The code, or the dependencies layer the configuration names, and nothing else: what a redeploy of changed files does. */
function isCodeChange(op: HttpFunctionOperation): boolean {
  return op.op === 'updateFunctionCode' || (op.op === 'updateFunctionConfiguration' && op.changed.every((k) => k === 'layers'));
}

/** The names resources already have (recorded in state) win over today's derived ones (an app may be renamed). */
function knownNames(previous: HttpFunctionState, derived: HttpFunctionNames): HttpFunctionNames {
  return { functionName: previous.function?.name ?? derived.functionName, roleName: previous.role?.name ?? derived.roleName, apiName: derived.apiName };
}

const goneCodes = new Set(['ResourceNotFoundException', 'NotFoundException', 'NoSuchEntityException', 'NoSuchEntity']);

function isGone(e: unknown): boolean {
  return e instanceof HangarError && typeof e.details?.awsCode === 'string' && goneCodes.has(e.details.awsCode);
}

function readState(raw: Readonly<Record<string, unknown>>): HttpFunctionState {
  const parsed = httpFunctionStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HangarError('INTERNAL', `The stored state of this http-function instance is not in the expected shape: ${parsed.error.issues[0]?.message ?? 'unknown'}.`);
  }
  return parsed.data;
}


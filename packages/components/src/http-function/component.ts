import { checkHandlerFile, HangarError } from '@hangar/core';
import type { Component, ComponentContext, DeployResult, InstanceRef } from '../sdk/component.js';
import { applyHttpFunctionPlan } from './apply.js';
import { createHttpFunctionClients, destroyHttpFunctionClients, type HttpFunctionClients } from './clients.js';
import { httpFunctionInputs, type HttpFunctionInputs } from './inputs.js';
import { functionLogGroupName, httpFunctionNames, type HttpFunctionNames } from './names.js';
import { observeHttpFunction } from './observe.js';
import { currentState, observationsNeeded, planHttpFunction, type DesiredHttpFunction, type ObservedHttpFunction } from './plan.js';
import { httpFunctionStateSchema, type HttpFunctionState } from './state.js';
import { publicUrl } from './url.js';

export interface HttpFunctionDeps {
  /** Builds the AWS clients for a context (default: SDK v3 clients from ctx's credentials, region and endpoint). */
  readonly createClients?: (ctx: ComponentContext) => HttpFunctionClients;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest wait for Lambda to report a function ready, in seconds (default 300). */
  readonly maxWaitSeconds?: number;
}

export const httpFunctionPermissions = [
  'iam:CreateRole', 'iam:GetRole', 'iam:TagRole', 'iam:PassRole', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
  'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:DeleteRolePolicy', 'iam:DeleteRole',
  'lambda:CreateFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration',
  'lambda:AddPermission', 'lambda:RemovePermission', 'lambda:DeleteFunction', 'lambda:TagResource',
  'apigateway:GET', 'apigateway:POST', 'apigateway:DELETE', 'apigateway:TagResource',
  'logs:CreateLogGroup', 'logs:DescribeLogGroups', 'logs:PutRetentionPolicy', 'logs:TagResource', 'logs:ListTagsForResource',
  'logs:DeleteLogGroup',
] as const;

/**
 * The `http-function` component: a Node.js 20 Lambda function with its own execution role, and
 * an HTTP API (payload 2.0, `$default` route and auto-deployed stage) in front of it.
 * `createHttpFunction({ createClients })` lets a test wrap or count the AWS calls.
 */
export function createHttpFunction(deps: HttpFunctionDeps = {}): Component<HttpFunctionInputs> {
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

  const applyDeps = (ctx: ComponentContext, clients: HttpFunctionClients) => ({
    clients, region: ctx.region, log: ctx.log, tags: instanceTags(ctx.instance), sleep, maxWaitSeconds,
    ...(ctx.source ? { source: ctx.source } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}),
  });

  return {
    name: 'http-function',
    description: 'A Node.js 20 Lambda function behind an HTTP API, with its own execution role and log group.',
    inputs: httpFunctionInputs,
    permissions: httpFunctionPermissions,

    checkSource(inputs: HttpFunctionInputs, paths: readonly string[]): void {
      checkHandlerFile(inputs.handler, paths);
    },

    async deploy(inputs: HttpFunctionInputs, ctx: ComponentContext): Promise<DeployResult> {
      if (!ctx.source) {
        throw new HangarError('COMPONENT_SOURCE_MISSING', 'http-function needs its code: set inputs.src to the folder holding your handler and deploy again.');
      }
      const previous = readState(ctx.state);
      const derived = httpFunctionNames(ctx.instance);
      const names = knownNames(previous, derived);
      const desired: DesiredHttpFunction = {
        names: derived,
        config: { runtime: 'nodejs20.x', handler: inputs.handler, memory: inputs.memory, timeout: inputs.timeout, env: { ...inputs.env } },
        codeHash: `manifest:${ctx.source.manifestId}`,
        logGroup: { name: functionLogGroupName(names.functionName), retentionInDays: inputs.logRetentionDays, tags: instanceTags(ctx.instance) },
      };
      return withClients(ctx, async (clients) => {
        const need = observationsNeeded(previous);
        // Only a state missing parts (first deploy, or one that failed half-way) costs a look.
        let observed = need.role || need.function || need.apis || need.logGroup
          ? await observeHttpFunction(clients, names, need, previous.api?.id, ctx.signal)
          : {};
        let plan = planHttpFunction(desired, previous, observed);
        if (plan.operations.length > 0 && !need.logGroup) {
          // Something changes anyway: look at the log group too, so one deleted (or stripped of its
          // retention by Lambda recreating it) outside Hangar is put right. An unchanged redeploy
          // still makes no call at all.
          observed = { ...observed, logGroup: await lookAtLogGroup(clients, names, previous, ctx.signal) };
          plan = planHttpFunction(desired, previous, observed);
        }
        if (plan.operations.length === 0) ctx.log.info('No changes: the function, its log group and its HTTP API are up to date');
        let state: HttpFunctionState;
        try {
          state = await applyHttpFunctionPlan(plan, currentState(previous, observed), applyDeps(ctx, clients));
        } catch (e) {
          if (!isGone(e)) throw e;
          // Something the state records was deleted outside Hangar: look at everything, then converge.
          const { action, resource } = (e as HangarError).details ?? {};
          ctx.log.warn(`${String(action)} found ${String(resource)} gone from AWS; checking what exists and deploying again`);
          const seen = await observeHttpFunction(clients, names, everything, previous.api?.id, ctx.signal);
          state = await applyHttpFunctionPlan(planHttpFunction(desired, previous, seen), currentState(previous, seen), applyDeps(ctx, clients));
        }
        return { outputs: outputsOf(state, ctx), state: state as Record<string, unknown> };
      });
    },

    async remove(ctx: ComponentContext): Promise<void> {
      const previous = readState(ctx.state);
      const names = knownNames(previous, httpFunctionNames(ctx.instance));
      await withClients(ctx, async (clients) => {
        const observed = await observeHttpFunction(clients, names, everything, previous.api?.id, ctx.signal);
        const plan = planHttpFunction(null, previous, observed);
        await applyHttpFunctionPlan(plan, currentState(previous, observed), applyDeps(ctx, clients));
        ctx.log.info(plan.operations.length ? 'Removed the function, its log group, its HTTP API and its execution role' : 'Nothing to remove');
      });
    },
  };
}

const everything = { role: true, function: true, apis: true, logGroup: true } as const;

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

function outputsOf(state: HttpFunctionState, ctx: ComponentContext): Record<string, unknown> {
  if (!state.function || !state.api) throw new Error('apply finished without a function and an API');
  return {
    url: publicUrl(state.api.endpoint, state.api.id, ctx.endpoint),
    functionName: state.function.name,
    functionArn: state.function.arn,
    apiId: state.api.id,
  };
}

/** Tags on everything created; values limited to the characters AWS allows in tags. */
function instanceTags(instance: InstanceRef): Record<string, string> {
  const clean = (v: string) => v.replace(/[^\p{L}\p{Z}\p{N}_.:/=+@-]/gu, '_').slice(0, 256);
  return { 'hangar:instance': clean(instance.instanceId), 'hangar:app': clean(instance.app), 'hangar:stage': clean(instance.stage) };
}

import type { HttpFunctionNames } from './names.js';
import type { FunctionConfig, HttpFunctionState } from './state.js';

/** The managed policy every execution role gets: write logs to CloudWatch Logs. */
export const basicExecutionPolicyArn = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';

/** What the inputs and the code ask for. */
export interface DesiredHttpFunction {
  readonly names: HttpFunctionNames;
  readonly config: FunctionConfig;
  /** `manifest:<id>` or `sha256:<hex>`: equal hashes mean the code need not be uploaded again. */
  readonly codeHash: string;
  /** The function's log group; left out, the plan neither creates nor updates one. */
  readonly logGroup?: DesiredLogGroup;
}

export interface DesiredLogGroup {
  readonly name: string;
  readonly retentionInDays: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What a look at the cloud found. A key left out was not looked at, so the state is trusted for
 * it; `null` means "looked, and it is not there".
 */
export interface ObservedHttpFunction {
  readonly role?: { readonly name: string; readonly arn: string; readonly policies: readonly string[] } | null;
  readonly function?: { readonly name: string; readonly arn: string; readonly config?: FunctionConfig } | null;
  /** HTTP APIs with this instance's name that the state does not record (left by a failed deploy). */
  readonly strayApiIds?: readonly string[];
  /** True when the API the state records was looked for and is gone. */
  readonly recordedApiMissing?: boolean;
  /** The function's log group as found (retention absent: kept forever). */
  readonly logGroup?: { readonly name: string; readonly retentionInDays?: number; readonly tags?: Readonly<Record<string, string>> } | null;
}

export type HttpFunctionOperation =
  | { readonly op: 'createRole'; readonly roleName: string }
  | { readonly op: 'attachRolePolicy'; readonly roleName: string; readonly policyArn: string }
  | { readonly op: 'createLogGroup'; readonly logGroupName: string; readonly retentionInDays: number; readonly tags: Readonly<Record<string, string>> }
  | { readonly op: 'putRetentionPolicy'; readonly logGroupName: string; readonly retentionInDays: number }
  | { readonly op: 'tagLogGroup'; readonly logGroupName: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly op: 'createFunction'; readonly functionName: string; readonly config: FunctionConfig; readonly codeHash: string }
  | { readonly op: 'updateFunctionConfiguration'; readonly functionName: string; readonly config: FunctionConfig; readonly changed: readonly (keyof FunctionConfig)[] }
  | { readonly op: 'updateFunctionCode'; readonly functionName: string; readonly codeHash: string }
  | { readonly op: 'createApi'; readonly apiName: string }
  | { readonly op: 'createIntegration' }
  | { readonly op: 'createRoute' }
  | { readonly op: 'createStage' }
  | { readonly op: 'addPermission' }
  | { readonly op: 'deleteApi'; readonly apiId: string }
  | { readonly op: 'removePermission'; readonly functionName: string; readonly statementId: string }
  | { readonly op: 'deleteFunction'; readonly functionName: string }
  | { readonly op: 'deleteLogGroup'; readonly logGroupName: string }
  | { readonly op: 'detachRolePolicy'; readonly roleName: string; readonly policyArn: string }
  | { readonly op: 'deleteRole'; readonly roleName: string };

export interface HttpFunctionPlan {
  readonly operations: readonly HttpFunctionOperation[];
}

/** What the deploy should look at before planning: the parts the state does not record. */
export function observationsNeeded(previous: HttpFunctionState): { role: boolean; function: boolean; apis: boolean; logGroup: boolean } {
  return { role: !previous.role, function: !previous.function, apis: !previous.api, logGroup: !previous.logGroup };
}

/**
 * Decides what must change, and nothing else: no I/O. `desired = null` plans a removal.
 * The operations are in the order they must run.
 */
export function planHttpFunction(desired: DesiredHttpFunction | null, previous: HttpFunctionState, observed: ObservedHttpFunction = {}): HttpFunctionPlan {
  const current = currentState(previous, observed);
  const { role, function: fn } = current;
  const strays = (observed.strayApiIds ?? []).filter((id) => id !== previous.api?.id);
  const ops: HttpFunctionOperation[] = strays.map((apiId) => ({ op: 'deleteApi', apiId }));
  if (desired === null) return { operations: [...ops, ...planRemoval(current)] };

  const { names, config, codeHash } = desired;
  if (!role) ops.push({ op: 'createRole', roleName: names.roleName });
  const roleName = role?.name ?? names.roleName;
  if (!role?.policies.includes(basicExecutionPolicyArn)) ops.push({ op: 'attachRolePolicy', roleName, policyArn: basicExecutionPolicyArn });
  // Before the function: on AWS, Lambda creates the group itself (no retention, no tags) at the
  // first invocation if it does not exist yet.
  if (desired.logGroup) ops.push(...planLogGroup(desired.logGroup, current.logGroup));

  if (!fn) {
    ops.push({ op: 'createFunction', functionName: names.functionName, config, codeHash });
  } else {
    const changed = configChanges(fn.config, config);
    if (changed.length > 0) ops.push({ op: 'updateFunctionConfiguration', functionName: fn.name, config, changed });
    if (fn.codeHash !== codeHash) ops.push({ op: 'updateFunctionCode', functionName: fn.name, codeHash });
  }

  const api = current.api;
  if (!api) ops.push({ op: 'createApi', apiName: names.apiName });
  if (!api?.integrationId) ops.push({ op: 'createIntegration' });
  if (!api?.routeId) ops.push({ op: 'createRoute' });
  if (!api?.stageName) ops.push({ op: 'createStage' });
  // A new function has none of the old one's permissions, so the API must be allowed again.
  if (!api?.permissionSid || !fn) ops.push({ op: 'addPermission' });
  return { operations: ops };
}

/**
 * What exists now, as far as is known: the state, corrected by whatever was observed. The apply
 * step starts from this, so resources adopted from a failed deploy are recorded.
 */
export function currentState(previous: HttpFunctionState, observed: ObservedHttpFunction = {}): HttpFunctionState {
  const role = observed.role !== undefined ? observed.role ?? undefined : previous.role;
  const fn = currentFunction(previous, observed);
  const api = observed.recordedApiMissing ? undefined : previous.api;
  const logGroup = observed.logGroup !== undefined ? observed.logGroup ?? undefined : previous.logGroup;
  return {
    ...(role ? { role: { name: role.name, arn: role.arn, policies: [...role.policies] } } : {}),
    ...(fn ? { function: fn } : {}),
    ...(logGroup ? { logGroup: copyLogGroup(logGroup) } : {}),
    ...(api ? { api } : {}),
  };
}

function copyLogGroup(g: NonNullable<ObservedHttpFunction['logGroup']>): NonNullable<HttpFunctionState['logGroup']> {
  return {
    name: g.name,
    ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
    ...(g.tags ? { tags: { ...g.tags } } : {}),
  };
}

/** Creates the group, or brings its retention and tags (when unknown: always) in line. */
function planLogGroup(desired: DesiredLogGroup, current: HttpFunctionState['logGroup']): HttpFunctionOperation[] {
  const { name: logGroupName, retentionInDays, tags } = desired;
  if (!current) return [{ op: 'createLogGroup', logGroupName, retentionInDays, tags }];
  const ops: HttpFunctionOperation[] = [];
  if (current.retentionInDays !== retentionInDays) ops.push({ op: 'putRetentionPolicy', logGroupName, retentionInDays });
  if (!current.tags || !includesTags(current.tags, tags)) ops.push({ op: 'tagLogGroup', logGroupName, tags });
  return ops;
}

/** Tags added by others are left alone; only Hangar's own must be there with these values. */
function includesTags(have: Readonly<Record<string, string>>, want: Readonly<Record<string, string>>): boolean {
  return Object.entries(want).every(([k, v]) => Object.prototype.hasOwnProperty.call(have, k) && have[k] === v);
}

function currentFunction(previous: HttpFunctionState, observed: ObservedHttpFunction): HttpFunctionState['function'] {
  if (observed.function === undefined) return previous.function;
  if (observed.function === null) return undefined;
  const known = previous.function?.name === observed.function.name ? previous.function : undefined;
  return {
    name: observed.function.name,
    arn: observed.function.arn,
    ...(known?.codeHash ? { codeHash: known.codeHash } : {}),
    ...(observed.function.config ?? known?.config ? { config: observed.function.config ?? known?.config } : {}),
  };
}

function planRemoval(current: HttpFunctionState): HttpFunctionOperation[] {
  const { role, function: fn, api, logGroup } = current;
  const ops: HttpFunctionOperation[] = [];
  if (api) ops.push({ op: 'deleteApi', apiId: api.id });
  if (fn && api?.permissionSid) ops.push({ op: 'removePermission', functionName: fn.name, statementId: api.permissionSid });
  if (fn) ops.push({ op: 'deleteFunction', functionName: fn.name });
  // After the function, so no last invocation writes the group back.
  if (logGroup) ops.push({ op: 'deleteLogGroup', logGroupName: logGroup.name });
  if (role) {
    for (const policyArn of role.policies) ops.push({ op: 'detachRolePolicy', roleName: role.name, policyArn });
    ops.push({ op: 'deleteRole', roleName: role.name });
  }
  return ops;
}

const configKeys = ['runtime', 'handler', 'memory', 'timeout', 'env'] as const satisfies readonly (keyof FunctionConfig)[];

/** Which settings differ; all of them when the current ones are unknown. */
export function configChanges(current: FunctionConfig | undefined, desired: FunctionConfig): (keyof FunctionConfig)[] {
  if (!current) return [...configKeys];
  return configKeys.filter((k) => (k === 'env' ? !sameEnv(current.env, desired.env) : current[k] !== desired[k]));
}

function sameEnv(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

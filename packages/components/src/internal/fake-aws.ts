/**
 * An in-memory stand-in for the IAM, Lambda, API Gateway v2 and CloudWatch Logs calls http-function makes, for
 * unit tests of the apply and remove steps. It records every call by command name, answers with
 * AWS's shapes and throws errors carrying AWS's names and a request id, as the SDK does.
 * The integration test runs the same flows against the real local cloud.
 */
import type { HttpFunctionClients } from '../http-function/clients.js';

export interface FakeCall { readonly command: string; readonly input: Record<string, unknown> }

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400, requestId: `req-${name}` } });
}

export function createFakeAws(account = '222222222222', region = 'us-east-1') {
  const calls: FakeCall[] = [];
  const roles = new Map<string, { arn: string; policies: Set<string> }>();
  const functions = new Map<string, { arn: string; config: Record<string, unknown>; code: Uint8Array; permissions: Set<string> }>();
  const apis = new Map<string, { name: string; parts: string[] }>();
  const logGroups = new Map<string, { retentionInDays?: number; tags: Record<string, string> }>();
  /** Errors to throw once for a command, in order (e.g. InvalidParameterValueException while a role propagates). */
  const failures = new Map<string, Error[]>();
  /** Function states GetFunctionConfiguration reports before settling on Active/Successful. */
  const pendingStates: { State?: string; LastUpdateStatus?: string; StateReasonCode?: string; LastUpdateStatusReason?: string }[] = [];
  let ids = 0;
  /** How updates are answered: `InProgress` as AWS does, or `Successful` as an endpoint that finished before answering. */
  const options = { updatesSettled: false };
  const updateAnswer = (f: { arn: string }) => ({ FunctionArn: f.arn, State: 'Active', LastUpdateStatus: options.updatesSettled ? 'Successful' : 'InProgress' });

  const handlers: Record<string, (i: Record<string, unknown>) => unknown> = {
    CreateRoleCommand: (i) => {
      const name = i.RoleName as string;
      if (roles.has(name)) throw awsError('EntityAlreadyExistsException');
      const arn = `arn:aws:iam::${account}:role/${name}`;
      roles.set(name, { arn, policies: new Set() });
      return { Role: { Arn: arn, RoleName: name } };
    },
    GetRoleCommand: (i) => ({ Role: { Arn: role(i).arn } }),
    AttachRolePolicyCommand: (i) => { role(i).policies.add(i.PolicyArn as string); return {}; },
    DetachRolePolicyCommand: (i) => { role(i).policies.delete(i.PolicyArn as string); return {}; },
    ListAttachedRolePoliciesCommand: (i) => ({ AttachedPolicies: [...role(i).policies].map((PolicyArn) => ({ PolicyArn })) }),
    ListRolePoliciesCommand: (i) => { role(i); return { PolicyNames: [] }; },
    DeleteRoleCommand: (i) => {
      if (role(i).policies.size) throw awsError('DeleteConflictException');
      roles.delete(i.RoleName as string);
      return {};
    },
    CreateFunctionCommand: (i) => {
      const name = i.FunctionName as string;
      if (functions.has(name)) throw awsError('ResourceConflictException');
      const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
      const { FunctionName: _n, Code, Tags: _t, Description: _d, Role, ...config } = i;
      functions.set(name, { arn, config: { ...config, Role }, code: (Code as { ZipFile: Uint8Array }).ZipFile, permissions: new Set() });
      return { FunctionArn: arn, State: 'Pending' };
    },
    GetFunctionConfigurationCommand: (i) => {
      const f = fn(i);
      const c = f.config as { Runtime: string; Handler: string; MemorySize: number; Timeout: number; Environment: { Variables: Record<string, string> } };
      return { FunctionArn: f.arn, State: 'Active', LastUpdateStatus: 'Successful', ...c, ...pendingStates.shift() };
    },
    UpdateFunctionConfigurationCommand: (i) => { const f = fn(i); const { FunctionName: _n, ...c } = i; f.config = { ...f.config, ...c }; return updateAnswer(f); },
    UpdateFunctionCodeCommand: (i) => { const f = fn(i); f.code = i.ZipFile as Uint8Array; return updateAnswer(f); },
    AddPermissionCommand: (i) => {
      const f = fn(i);
      if (f.permissions.has(i.StatementId as string)) throw awsError('ResourceConflictException');
      f.permissions.add(i.StatementId as string);
      return {};
    },
    RemovePermissionCommand: (i) => {
      if (!fn(i).permissions.delete(i.StatementId as string)) throw awsError('ResourceNotFoundException');
      return {};
    },
    DeleteFunctionCommand: (i) => { fn(i); functions.delete(i.FunctionName as string); return {}; },
    CreateApiCommand: (i) => {
      const id = `api${++ids}`;
      apis.set(id, { name: i.Name as string, parts: [] });
      return { ApiId: id, ApiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com` };
    },
    GetApisCommand: () => ({ Items: [...apis].map(([ApiId, a]) => ({ ApiId, Name: a.name })) }),
    CreateIntegrationCommand: (i) => { api(i).parts.push('integration'); return { IntegrationId: `int${++ids}` }; },
    CreateRouteCommand: (i) => { api(i).parts.push(`route ${String(i.RouteKey)} -> ${String(i.Target)}`); return { RouteId: `r${++ids}` }; },
    CreateStageCommand: (i) => { api(i).parts.push(`stage ${String(i.StageName)}`); return {}; },
    DeleteApiCommand: (i) => { api(i); apis.delete(i.ApiId as string); return {}; },
    CreateLogGroupCommand: (i) => {
      const name = i.logGroupName as string;
      if (logGroups.has(name)) throw awsError('ResourceAlreadyExistsException');
      logGroups.set(name, { tags: { ...(i.tags as Record<string, string> | undefined) } });
      return {};
    },
    DescribeLogGroupsCommand: (i) => ({
      logGroups: [...logGroups].filter(([n]) => n.startsWith(String(i.logGroupNamePrefix ?? ''))).map(([logGroupName, g]) => ({
        logGroupName, retentionInDays: g.retentionInDays, arn: `${logGroupArn(logGroupName)}:*`, logGroupArn: logGroupArn(logGroupName),
      })),
    }),
    ListTagsForResourceCommand: (i) => ({ tags: { ...groupByArn(i).tags } }),
    TagResourceCommand: (i) => { const g = groupByArn(i); g.tags = { ...g.tags, ...(i.tags as Record<string, string>) }; return {}; },
    PutRetentionPolicyCommand: (i) => { group(i).retentionInDays = i.retentionInDays as number; return {}; },
    DeleteLogGroupCommand: (i) => { group(i); logGroups.delete(i.logGroupName as string); return {}; },
  };

  const logGroupArn = (name: string) => `arn:aws:logs:${region}:${account}:log-group:${name}`;
  function group(i: Record<string, unknown>) {
    const g = logGroups.get(i.logGroupName as string);
    if (!g) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  }
  function groupByArn(i: Record<string, unknown>) {
    const prefix = logGroupArn('');
    const arn = String(i.resourceArn);
    if (!arn.startsWith(prefix)) throw awsError('ResourceNotFoundException');
    return group({ logGroupName: arn.slice(prefix.length) });
  }

  function role(i: Record<string, unknown>) {
    const r = roles.get(i.RoleName as string);
    if (!r) throw awsError('NoSuchEntityException');
    return r;
  }
  function fn(i: Record<string, unknown>) {
    const f = functions.get(i.FunctionName as string);
    if (!f) throw awsError('ResourceNotFoundException');
    return f;
  }
  function api(i: Record<string, unknown>) {
    const a = apis.get(i.ApiId as string);
    if (!a) throw awsError('NotFoundException');
    return a;
  }

  const client = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const command = cmd.constructor.name;
      calls.push({ command, input: cmd.input });
      const failure = failures.get(command)?.shift();
      if (failure) throw failure;
      const handler = handlers[command];
      if (!handler) throw new Error(`fake AWS does not know ${command}`);
      return handler(cmd.input);
    },
  };
  const clients = { iam: client, lambda: client, apigw: client, logs: client } as unknown as HttpFunctionClients;
  const names = () => calls.map((c) => c.command.replace(/Command$/, ''));
  return { clients, calls, names, roles, functions, apis, logGroups, failures, pendingStates, options, reset: () => { calls.length = 0; } };
}

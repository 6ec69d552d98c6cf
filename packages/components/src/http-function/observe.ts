import { GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetRoleCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { HttpFunctionClients } from './clients.js';
import { functionLogGroupName, type HttpFunctionNames } from './names.js';
import type { ObservedHttpFunction } from './plan.js';

export interface ObserveWhat {
  readonly role: boolean;
  readonly function: boolean;
  readonly apis: boolean;
  /** The function's log group `/aws/lambda/<functionName>`, with its retention and tags. */
  readonly logGroup?: boolean;
  /** With `logGroup`: also read its tags (one more call). Default true. */
  readonly logGroupTags?: boolean;
}

/**
 * Looks up, by their deterministic names, the resources the state does not record: what a
 * failed deploy may have left behind. Only what `what` asks for is looked at.
 */
export async function observeHttpFunction(
  clients: HttpFunctionClients, names: HttpFunctionNames, what: ObserveWhat, knownApiId: string | undefined, signal?: AbortSignal,
): Promise<ObservedHttpFunction> {
  const opts = signal ? { abortSignal: signal } : {};
  const { iam, lambda, apigw, logs } = clients;
  const observed: { -readonly [K in keyof ObservedHttpFunction]: ObservedHttpFunction[K] } = {};

  if (what.role) {
    observed.role = await awsCall('iam:GetRole', names.roleName, async () => {
      try {
        const role = await iam.send(new GetRoleCommand({ RoleName: names.roleName }), opts);
        const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: names.roleName }), opts);
        const arn = role.Role?.Arn;
        if (!arn) return null;
        return { name: names.roleName, arn, policies: (attached.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])) };
      } catch (e) {
        if (isAwsError(e, 'NoSuchEntityException', 'NoSuchEntity')) return null;
        throw e;
      }
    });
  }

  if (what.function) {
    observed.function = await awsCall('lambda:GetFunctionConfiguration', names.functionName, async () => {
      try {
        const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.functionName }), opts);
        if (!c.FunctionArn) return null;
        const config = c.Runtime && c.Handler && c.MemorySize && c.Timeout
          ? { runtime: c.Runtime, handler: c.Handler, memory: c.MemorySize, timeout: c.Timeout, env: { ...c.Environment?.Variables } }
          : undefined;
        return { name: names.functionName, arn: c.FunctionArn, ...(config ? { config } : {}) };
      } catch (e) {
        if (isAwsError(e, 'ResourceNotFoundException')) return null;
        throw e;
      }
    });
  }

  if (what.apis) {
    const stray: string[] = [];
    let recordedFound = false;
    let NextToken: string | undefined;
    do {
      const page = await awsCall('apigateway:GET', 'apis', () => apigw.send(new GetApisCommand({ ...(NextToken ? { NextToken } : {}) }), opts));
      for (const api of page.Items ?? []) {
        if (api.ApiId === knownApiId) recordedFound = true;
        else if (api.Name === names.apiName && api.ApiId) stray.push(api.ApiId);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    observed.strayApiIds = stray;
    if (knownApiId && !recordedFound) observed.recordedApiMissing = true;
  }
  if (what.logGroup) {
    const name = functionLogGroupName(names.functionName);
    observed.logGroup = await awsCall('logs:DescribeLogGroups', name, async () => {
      const page = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }), opts);
      const group = page.logGroups?.find((g) => g.logGroupName === name);
      if (!group) return null;
      const arn = group.logGroupArn ?? group.arn?.replace(/:\*$/, '');
      const tags = arn && what.logGroupTags !== false
        ? await awsCall('logs:ListTagsForResource', arn, async () => (await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }), opts)).tags ?? {})
        : undefined;
      return { name, ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}), ...(tags ? { tags } : {}) };
    });
  }
  return observed;
}

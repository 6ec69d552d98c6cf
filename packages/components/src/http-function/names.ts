import type { InstanceRef } from '../sdk/component.js';
import { instanceResourceName } from '../sdk/names.js';

export interface HttpFunctionNames {
  /** Lambda function name: [A-Za-z0-9_-], at most 64 characters. */
  readonly functionName: string;
  /** IAM role name: [\w+=,.@-], at most 64 characters. */
  readonly roleName: string;
  /** HTTP API name (free text, at most 128). */
  readonly apiName: string;
}

/**
 * Names derived from the instance, the same every time: `hangar-<app>-<stage>-<name>-<hash>`
 * (see `instanceResourceName`), within AWS's 64-character limit.
 */
export function httpFunctionNames(instance: Pick<InstanceRef, 'app' | 'stage' | 'name' | 'instanceId'>): HttpFunctionNames {
  const base = instanceResourceName(instance);
  return { functionName: base, roleName: base, apiName: base };
}

/** Statement id of the permission letting the HTTP API invoke the function. */
export function invokePermissionSid(apiId: string): string {
  return `hangar-apigw-${apiId}`;
}

/** The log group Lambda writes a function's logs to; http-function creates and removes it. */
export function functionLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

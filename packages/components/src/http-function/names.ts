import { createHash } from 'node:crypto';
import type { InstanceRef } from '../sdk/component.js';

export interface HttpFunctionNames {
  /** Lambda function name: [A-Za-z0-9_-], at most 64 characters. */
  readonly functionName: string;
  /** IAM role name: [\w+=,.@-], at most 64 characters. */
  readonly roleName: string;
  /** HTTP API name (free text, at most 128). */
  readonly apiName: string;
}

const maxLength = 64;

/**
 * Names derived from the instance, the same every time: `hangar-<app>-<stage>-<name>-<hash>`.
 * The 8-character hash of the immutable instance id keeps two instances that share an account
 * (say, the same app name in two organisations) from ever adopting each other's resources; long
 * names are trimmed so the whole fits AWS's 64-character limit.
 */
export function httpFunctionNames(instance: Pick<InstanceRef, 'app' | 'stage' | 'name' | 'instanceId'>): HttpFunctionNames {
  const hash = createHash('sha256').update(instance.instanceId).digest('hex').slice(0, 8);
  const readable = ['hangar', instance.app, instance.stage, instance.name]
    .map((part) => part.replace(/[^A-Za-z0-9_-]+/g, '-'))
    .join('-')
    .replace(/-{2,}/g, '-');
  const base = `${readable.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`;
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

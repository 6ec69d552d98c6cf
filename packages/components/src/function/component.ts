import type { Component, InstanceRef, PermissionStatement } from '../sdk/component.js';
import { createLambdaComponent, functionActions, functionStatements, type HttpFunctionDeps } from '../internal/lambda-component.js';
import type { HttpFunctionInputs } from '../http-function/inputs.js';
import type { HttpFunctionState } from '../http-function/state.js';

/** A deployment of `function` may call the IAM, Lambda and Logs actions on its own role, function and log group only. */
export function functionPermissions(instance: InstanceRef): PermissionStatement[] {
  return functionStatements(instance, functionActions);
}

/**
 * The `function` component (Serverless Components' `aws-lambda`): a Node.js 20 Lambda function
 * with its own execution role and log group, without an HTTP API — for queues and schedules, or
 * to be invoked. Same inputs and implementation as `http-function`.
 */
export function createFunction(deps: HttpFunctionDeps = {}): Component<HttpFunctionInputs> {
  return createLambdaComponent({
    name: 'function',
    description: 'A Node.js 20 Lambda function with its own execution role and log group (no HTTP API).',
    http: false,
    permissions: functionPermissions,
    outputs: (state: HttpFunctionState) => {
      if (!state.function || !state.role) throw new Error('apply finished without a function and a role');
      return { name: state.function.name, arn: state.function.arn, roleArn: state.role.arn, logGroup: state.logGroup?.name ?? `/aws/lambda/${state.function.name}` };
    },
  }, deps);
}

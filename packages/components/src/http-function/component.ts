import type { Component, ComponentContext, InstanceRef, PermissionStatement } from '../sdk/component.js';
import { createLambdaComponent, functionActions, functionStatements, type HttpFunctionDeps } from '../internal/lambda-component.js';
import type { HttpFunctionInputs } from './inputs.js';
import type { HttpFunctionState } from './state.js';
import { publicUrl } from './url.js';

export type { HttpFunctionDeps } from '../internal/lambda-component.js';

export const httpFunctionPermissions = [...functionActions, 'apigateway:GET', 'apigateway:POST', 'apigateway:DELETE', 'apigateway:TagResource'] as const;

/**
 * A deployment of this instance may call those actions on its own role, function, log group and
 * HTTP APIs only. HTTP API ids are random, so API Gateway is limited to APIs (`/apis`, `/apis/*`)
 * and their tags, not to one API.
 */
export function httpFunctionStatements(instance: InstanceRef): PermissionStatement[] {
  return [
    ...functionStatements(instance, httpFunctionPermissions),
    { actions: httpFunctionPermissions.filter((a) => a.startsWith('apigateway:')), resources: ['arn:aws*:apigateway:*::/apis', 'arn:aws*:apigateway:*::/apis/*', 'arn:aws*:apigateway:*::/tags/*'] },
  ];
}

/**
 * The `http-function` component: a Node.js 20 Lambda function with its own execution role, and
 * an HTTP API (payload 2.0, `$default` route and auto-deployed stage) in front of it.
 * `createHttpFunction({ createClients })` lets a test wrap or count the AWS calls.
 */
export function createHttpFunction(deps: HttpFunctionDeps = {}): Component<HttpFunctionInputs> {
  return createLambdaComponent({
    name: 'http-function',
    description: 'A Node.js 20 Lambda function behind an HTTP API, with its own execution role and log group.',
    http: true,
    permissions: httpFunctionStatements,
    outputs: outputsOf,
  }, deps);
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

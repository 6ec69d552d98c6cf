/**
 * Logs, Lambda and API Gateway depend on each other (Lambda writes Logs; API Gateway invokes
 * Lambda), so the three are built together, once per cloud runtime, and handed to the server as
 * three ServiceFactory values. The memo is keyed weakly by the runtime object, so two clouds in
 * one process never share state.
 */
import type { CloudRuntime, ServiceFactory } from '../internal/contract.js';
import { createApiGateway, type ApiGatewayParts } from '../apigateway/index.js';
import { createLogs, type LogsParts } from '../logs/index.js';
import { createLambda, type LambdaParts } from './index.js';

export interface ComputeParts {
  readonly logs: LogsParts;
  readonly lambda: LambdaParts;
  readonly apiGateway: ApiGatewayParts;
}

/** Builds the three services wired together (for servers that take a list of built services). */
export function computeServices(rt: CloudRuntime): ComputeParts {
  const logs = createLogs(rt);
  const lambda = createLambda(rt, { logs: logs.api });
  const apiGateway = createApiGateway(rt, { lambda: lambda.api });
  return { logs, lambda, apiGateway };
}

const built = new WeakMap<CloudRuntime, ComputeParts>();
const partsFor = (rt: CloudRuntime): ComputeParts => {
  let parts = built.get(rt);
  if (!parts) {
    parts = computeServices(rt);
    built.set(rt, parts);
  }
  return parts;
};

/** CloudWatch Logs; shares its runtime's wiring with `lambdaService` and `apiGatewayService`. */
export const logsService: ServiceFactory = (rt) => partsFor(rt).logs;
/** Lambda, writing function logs to the same runtime's `logsService`. */
export const lambdaService: ServiceFactory = (rt) => partsFor(rt).lambda;
/** API Gateway HTTP APIs, invoking the same runtime's `lambdaService`. */
export const apiGatewayService: ServiceFactory = (rt) => partsFor(rt).apiGateway;

/**
 * API Gateway v2 HTTP APIs (rest-json, signing name `apigateway`) and their execute-api data
 * plane. Invokes functions through Lambda's internal API, as the apigateway.amazonaws.com principal.
 */
import { AwsError, type CloudRuntime, type DataPlaneRoute, type Service } from '../internal/contract.js';
import type { LambdaApi } from '../lambda/index.js';
import { matchRest } from '../lambda/rest.js';
import { createExecuteApi } from './data-plane.js';
import type { ApiGatewayState } from './model.js';
import { apiRoutes } from './operations.js';

export interface ApiGatewayParts {
  service: Service;
  dataPlane: DataPlaneRoute[];
}

export function createApiGateway(rt: CloudRuntime, deps: { lambda: LambdaApi }): ApiGatewayParts {
  let state: ApiGatewayState = { apis: {} };
  const service: Service = {
    signingName: 'apigateway',
    protocol: 'rest-json',
    async handle(req) {
      const principal = req.principal;
      if (!principal) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const m = matchRest(apiRoutes, req.method, req.path);
      if (!m) throw new AwsError('NotFoundException', `No API Gateway operation matches ${req.method} ${req.path}.`, 404);
      return m.route.run({
        req, principal, state, endpoint: rt.endpoint(), now: () => rt.now(), changed: () => rt.changed(),
        authorize: (action, resource) => rt.authorize(principal, action, resource),
      }, m.params);
    },
    snapshot: () => state,
    restore(value) {
      const v = value as ApiGatewayState | undefined;
      state = { apis: { ...(v?.apis ?? {}) } };
    },
  };
  return { service, dataPlane: [createExecuteApi({ rt, state: () => state, lambda: deps.lambda })] };
}

export { apiGatewayService } from '../lambda/compute.js';

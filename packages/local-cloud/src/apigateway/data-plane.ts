/**
 * execute-api: real HTTP requests to `http://<apiId>.execute-api.localhost:<port>/...` (by Host)
 * or `http://127.0.0.1:<port>/_aws/execute-api/<apiId>/...` reach the route's Lambda function
 * as API Gateway does: the stage's deployed routes, a proxy event, the function's resource policy
 * checked for apigateway.amazonaws.com, and AWS's bare error bodies.
 */
import { randomBytes } from 'node:crypto';
import type { CloudRuntime, DataPlaneRoute, ServiceResponse } from '../internal/contract.js';
import type { LambdaApi } from '../lambda/index.js';
import type { ApiGatewayState, ApiRecord, DeploymentRecord, StageRecord } from './model.js';
import { eventV1, eventV2, mapResult } from './payload.js';
import { selectRoute } from './routing.js';

const HOST = /^([a-z0-9]{10})\.execute-api\.localhost(:\d+)?$/i;
const PATH_PREFIX = '/_aws/execute-api/';

const message = (status: number, text: string): ServiceResponse => ({
  status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: text }),
});
const notFound = () => message(404, 'Not Found');
const internal = () => message(500, 'Internal Server Error');

/** The function ARN inside an integration URI (a function ARN, or the apigateway:lambda:path form). */
export function functionOfUri(uri: string): string {
  const m = /functions\/(.+)\/invocations$/.exec(uri);
  return m ? (m[1] as string) : uri;
}

function stageFor(a: ApiRecord, rawPath: string): { stage: StageRecord; routePath: string } | undefined {
  const first = rawPath.split('/')[1] ?? '';
  const named = first && first !== '$default' ? a.stages[decodeURIComponent(first)] : undefined;
  if (named) return { stage: named, routePath: rawPath.slice(first.length + 1) || '/' };
  const def = a.stages.$default;
  return def ? { stage: def, routePath: rawPath } : undefined;
}

export interface DataPlaneDeps {
  readonly rt: CloudRuntime;
  readonly state: () => ApiGatewayState;
  readonly lambda: LambdaApi;
}

export function createExecuteApi(deps: DataPlaneDeps): DataPlaneRoute {
  return {
    match: (host, path) => HOST.test(host) || path.startsWith(PATH_PREFIX),
    async handle(req) {
      const qi = req.url.indexOf('?');
      let rawPath = qi < 0 ? req.url : req.url.slice(0, qi);
      const rawQueryString = qi < 0 ? '' : req.url.slice(qi + 1);
      let apiId: string;
      let domainName: string;
      const byHost = HOST.exec(req.host);
      if (byHost && !rawPath.startsWith(PATH_PREFIX)) {
        apiId = (byHost[1] as string).toLowerCase();
        domainName = req.host.replace(/:\d+$/, '').toLowerCase();
      } else {
        const rest = rawPath.slice(PATH_PREFIX.length);
        apiId = rest.split('/')[0] ?? '';
        rawPath = rest.slice(apiId.length) || '/';
        domainName = `${apiId}.execute-api.localhost`;
      }
      const a = deps.state().apis[apiId];
      if (!a) return notFound();
      if (a.disableExecuteApiEndpoint) return message(403, 'Forbidden');
      const found = stageFor(a, rawPath);
      if (!found) return notFound();
      const { stage, routePath } = found;
      const deployment: DeploymentRecord | undefined = stage.deploymentId ? a.deployments[stage.deploymentId] : undefined;
      if (!deployment) return notFound();
      const match = selectRoute(deployment.routes, req.method, routePath);
      if (!match) return notFound();
      const integrationId = /^integrations\/(.+)$/.exec(match.route.target ?? '')?.[1];
      const integration = deployment.integrations.find((i) => i.integrationId === integrationId);
      if (!integration?.integrationUri) return notFound();

      const requestId = randomBytes(10).toString('base64').replace(/[+/]/g, 'A');
      const sourceIp = req.remoteAddress.replace(/^::ffff:/, '');
      const ctx = {
        accountId: a.accountId, apiId, domainName, stage: stage.stageName, routeKey: match.route.routeKey,
        resourcePath: routePath, requestId, now: deps.rt.now(), pathParameters: match.pathParameters, stageVariables: stage.stageVariables,
      };
      const incoming = { method: req.method, rawPath, rawQueryString, headers: req.headers, body: req.body, sourceIp };
      const version = integration.payloadFormatVersion === '1.0' ? '1.0' : '2.0';
      const event = version === '2.0' ? eventV2(incoming, ctx) : eventV1(incoming, ctx);
      const key = match.route.routeKey;
      const resource = key === '$default' ? '$default' : `${req.method}${key.slice(key.indexOf(' ') + 1)}`;

      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), integration.timeoutInMillis);
      });
      const base = { 'apigw-requestid': requestId };
      let outcome: Awaited<ReturnType<LambdaApi['invokeAsService']>> | 'timeout';
      try {
        outcome = await Promise.race([
          deps.lambda.invokeAsService({
            accountId: a.accountId, region: a.region, functionRef: functionOfUri(integration.integrationUri),
            servicePrincipal: 'apigateway.amazonaws.com',
            sourceArn: `arn:aws:execute-api:${a.region}:${a.accountId}:${apiId}/${stage.stageName}/${resource}`,
            event: JSON.stringify(event),
          }),
          timedOut,
        ]);
      } catch {
        // e.g. the execution role can no longer be assumed: the caller sees what AWS shows.
        return { ...internal(), headers: { 'content-type': 'application/json', ...base } };
      } finally {
        clearTimeout(timer);
      }
      if (outcome === 'timeout') return { ...message(503, 'Service Unavailable'), headers: { 'content-type': 'application/json', ...base } };
      if (outcome.kind !== 'ok') return { ...internal(), headers: { 'content-type': 'application/json', ...base } };
      const mapped = mapResult(outcome.payload, version);
      if (!mapped) return { ...internal(), headers: { 'content-type': 'application/json', ...base } };
      const headers: Record<string, string | string[]> = { ...mapped.headers, ...base };
      // Each cookie is its own Set-Cookie header, as API Gateway sends them.
      if (mapped.cookies.length) headers['set-cookie'] = [...mapped.cookies];
      return { status: mapped.status, headers, body: mapped.body };
    },
  };
}

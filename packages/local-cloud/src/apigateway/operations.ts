/**
 * API Gateway v2 control plane for HTTP APIs: APIs, integrations, routes, stages, deployments.
 * Paths and JSON member names are AWS's (`/v2/apis/{apiId}/routes`, camelCase members).
 */
import { AwsError, type Principal } from '../internal/contract.js';
import { empty, fieldReader, json, jsonBody, rest, type RestRoute } from '../lambda/rest.js';
import {
  apiShape, integrationShape, newId, routeShape, stageShape,
  type ApiGatewayState, type ApiRecord, type IntegrationRecord, type RouteRecord, type StageRecord,
} from './model.js';
import { parseRouteKey } from './routing.js';
import type { ServiceRequest } from '../internal/contract.js';

export interface ApiCtx {
  readonly req: ServiceRequest;
  readonly principal: Principal;
  readonly state: ApiGatewayState;
  readonly endpoint: string;
  now(): Date;
  changed(): void;
  authorize(action: string, resource: string): void;
}

const bad = (m: string) => new AwsError('BadRequestException', m, 400);
const conflict = (m: string) => new AwsError('ConflictException', m, 409);
const f = fieldReader(bad);
const body = (c: ApiCtx) => jsonBody(c.req.body, () => bad('Invalid request body'));
const iso = (d: Date) => d.toISOString();

/**
 * apigateway:<METHOD> on arn:aws:apigateway:<region>::<path>, as AWS authorises v2 calls: the
 * resource path has no `/v2` version prefix (`…::/apis/<apiId>`, `…::/tags/<arn>`), as in AWS's
 * service authorization reference.
 */
function authz(c: ApiCtx) {
  c.authorize(`apigateway:${c.req.method}`, `arn:aws:apigateway:${c.req.region}::${c.req.path.replace(/^\/v2(?=\/)/, '').replace(/\/$/, '')}`);
}

function api(c: ApiCtx, apiId: string): ApiRecord {
  const a = c.state.apis[apiId];
  if (!a || a.accountId !== c.principal.accountId || a.region !== c.req.region) {
    throw new AwsError('NotFoundException', `Invalid API identifier specified ${c.principal.accountId}:${apiId}`, 404);
  }
  return a;
}

function integration(c: ApiCtx, a: ApiRecord, id: string): IntegrationRecord {
  const i = a.integrations[id];
  if (!i) throw new AwsError('NotFoundException', `Invalid Integration identifier specified ${id}`, 404);
  return i;
}

function route(c: ApiCtx, a: ApiRecord, id: string): RouteRecord {
  const r = a.routes[id];
  if (!r) throw new AwsError('NotFoundException', `Invalid Route identifier specified ${id}`, 404);
  return r;
}

function stage(c: ApiCtx, a: ApiRecord, name: string): StageRecord {
  const s = a.stages[name];
  if (!s) throw new AwsError('NotFoundException', `Invalid stage identifier specified`, 404);
  return s;
}

/** Auto-deploy stages redeploy on every change, as AWS does within seconds. */
function redeploy(c: ApiCtx, a: ApiRecord) {
  for (const s of Object.values(a.stages)) if (s.autoDeploy) deploy(c, a, s, true);
  c.changed();
}

function deploy(c: ApiCtx, a: ApiRecord, s: StageRecord | undefined, auto: boolean, description?: string) {
  const id = newId(6);
  a.deployments[id] = {
    deploymentId: id, createdDate: iso(c.now()), autoDeployed: auto, ...(description !== undefined ? { description } : {}),
    routes: Object.values(a.routes).map((r) => ({ ...r })), integrations: Object.values(a.integrations).map((i) => ({ ...i })),
  };
  // Keep the deployments a stage still points at, and the last few.
  const live = new Set(Object.values(a.stages).map((x) => x.deploymentId));
  const ids = Object.keys(a.deployments);
  for (const old of ids.slice(0, Math.max(0, ids.length - 5))) if (!live.has(old) && old !== id) delete a.deployments[old];
  if (s) {
    s.deploymentId = id;
    s.lastUpdatedDate = iso(c.now());
    s.lastDeploymentStatusMessage = `Successfully deployed stage with deployment ID '${id}'`;
  }
  return a.deployments[id];
}

const PAYLOAD_VERSIONS = ['1.0', '2.0'];

function integrationFrom(input: Record<string, unknown>, existing?: IntegrationRecord): IntegrationRecord {
  const type = f.str(input, 'integrationType') ?? existing?.integrationType;
  if (!type) throw bad('IntegrationType is required.');
  if (type !== 'AWS_PROXY') throw bad(`Integration type ${type} is not supported by this local cloud; HTTP APIs here support AWS_PROXY (Lambda) integrations.`);
  const uri = f.str(input, 'integrationUri') ?? existing?.integrationUri;
  if (!uri || !/^arn:aws[a-zA-Z-]*:(lambda:[a-z0-9-]+:\d{12}:function:[^/]+|apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/.+\/invocations)$/.test(uri)) {
    throw bad(`Invalid integration URI specified: ${uri ?? 'null'}. Use a Lambda function ARN.`);
  }
  const version = f.str(input, 'payloadFormatVersion') ?? existing?.payloadFormatVersion ?? '1.0';
  if (!PAYLOAD_VERSIONS.includes(version)) throw bad(`Invalid payload format version specified: ${version}. Supported values are 1.0 and 2.0.`);
  const timeout = f.num(input, 'timeoutInMillis') ?? existing?.timeoutInMillis ?? 30000;
  if (!Number.isInteger(timeout) || timeout < 50 || timeout > 30000) throw bad('Timeout must be between 50 milliseconds and 30000 milliseconds.');
  const description = f.str(input, 'description') ?? existing?.description;
  return {
    integrationId: existing?.integrationId ?? newId(7), integrationType: type, integrationUri: uri,
    integrationMethod: f.str(input, 'integrationMethod') ?? existing?.integrationMethod ?? 'POST',
    payloadFormatVersion: version, timeoutInMillis: timeout, connectionType: f.str(input, 'connectionType') ?? existing?.connectionType ?? 'INTERNET',
    ...(description !== undefined ? { description } : {}),
  };
}

function routeFrom(c: ApiCtx, a: ApiRecord, input: Record<string, unknown>, existing?: RouteRecord): RouteRecord {
  const key = f.str(input, 'routeKey') ?? existing?.routeKey;
  if (!key) throw bad('RouteKey is required.');
  const parsed = parseRouteKey(key);
  if (parsed && 'error' in parsed) throw bad(parsed.error);
  const dup = Object.values(a.routes).find((r) => r.routeKey === key && r.routeId !== existing?.routeId);
  if (dup) throw conflict(`Unable to create Route: the route key '${key}' already exists in this API (route ${dup.routeId}).`);
  const target = f.str(input, 'target') ?? existing?.target;
  if (target !== undefined) {
    const m = /^integrations\/([a-z0-9]+)$/.exec(target);
    if (!m || !a.integrations[m[1] as string]) throw bad(`Invalid target specified: ${target}. Use integrations/<integrationId> of this API.`);
  }
  const auth = f.str(input, 'authorizationType') ?? existing?.authorizationType ?? 'NONE';
  if (auth !== 'NONE') throw bad(`Authorization type ${auth} is not supported by this local cloud; use NONE.`);
  const operationName = f.str(input, 'operationName') ?? existing?.operationName;
  return {
    routeId: existing?.routeId ?? newId(7), routeKey: key, ...(target !== undefined ? { target } : {}),
    authorizationType: auth, apiKeyRequired: f.bool(input, 'apiKeyRequired') ?? existing?.apiKeyRequired ?? false,
    ...(operationName !== undefined ? { operationName } : {}),
  };
}

function createApi(c: ApiCtx): ApiRecord {
  const input = body(c);
  const name = f.str(input, 'name');
  if (!name) throw bad('Name is required.');
  const protocol = f.str(input, 'protocolType');
  if (protocol !== 'HTTP') throw bad(protocol === 'WEBSOCKET' ? 'WebSocket APIs are not supported by this local cloud; use protocolType HTTP.' : 'ProtocolType is required and must be HTTP.');
  let apiId = newId(10);
  while (c.state.apis[apiId]) apiId = newId(10);
  const now = iso(c.now());
  const description = f.str(input, 'description');
  const version = f.str(input, 'version');
  const cors = f.obj(input, 'corsConfiguration');
  const a: ApiRecord = {
    apiId, accountId: c.principal.accountId, region: c.req.region, name, protocolType: 'HTTP',
    routeSelectionExpression: f.str(input, 'routeSelectionExpression') ?? '$request.method $request.path',
    apiKeySelectionExpression: f.str(input, 'apiKeySelectionExpression') ?? '$request.header.x-api-key',
    ...(description !== undefined ? { description } : {}), ...(version !== undefined ? { version } : {}),
    ...(cors ? { corsConfiguration: cors } : {}),
    tags: f.strMap(input, 'tags') ?? {}, createdDate: now, disableExecuteApiEndpoint: f.bool(input, 'disableExecuteApiEndpoint') ?? false,
    integrations: {}, routes: {}, stages: {}, deployments: {},
  };
  // Quick create: Target makes an integration, a route and an auto-deploying $default stage.
  const target = f.str(input, 'target');
  if (target !== undefined) {
    const i = integrationFrom({ integrationType: 'AWS_PROXY', integrationUri: target, payloadFormatVersion: '2.0' });
    a.integrations[i.integrationId] = i;
    const r = routeFrom(c, a, { routeKey: f.str(input, 'routeKey') ?? '$default', target: `integrations/${i.integrationId}` });
    a.routes[r.routeId] = r;
    a.stages.$default = { stageName: '$default', autoDeploy: true, createdDate: now, lastUpdatedDate: now, stageVariables: {}, tags: {} };
    deploy(c, a, a.stages.$default, true);
  }
  c.state.apis[apiId] = a;
  c.changed();
  return a;
}

function updateApi(c: ApiCtx, a: ApiRecord) {
  const input = body(c);
  const name = f.str(input, 'name');
  const description = f.str(input, 'description');
  const version = f.str(input, 'version');
  const rse = f.str(input, 'routeSelectionExpression');
  const disable = f.bool(input, 'disableExecuteApiEndpoint');
  const cors = f.obj(input, 'corsConfiguration');
  if (name !== undefined) a.name = name;
  if (description !== undefined) a.description = description;
  if (version !== undefined) a.version = version;
  if (rse !== undefined) a.routeSelectionExpression = rse;
  if (disable !== undefined) a.disableExecuteApiEndpoint = disable;
  if (cors) a.corsConfiguration = cors;
  redeploy(c, a);
}

function stageFrom(c: ApiCtx, a: ApiRecord, input: Record<string, unknown>, existing?: StageRecord): StageRecord {
  const name = existing?.stageName ?? f.str(input, 'stageName');
  if (!name || !(name === '$default' || /^[A-Za-z0-9_-]{1,128}$/.test(name))) throw bad(`Invalid stage name specified: ${name ?? 'null'}.`);
  const deploymentId = f.str(input, 'deploymentId') ?? existing?.deploymentId;
  if (deploymentId !== undefined && !a.deployments[deploymentId]) throw bad(`Invalid deployment identifier specified: ${deploymentId}.`);
  const now = iso(c.now());
  const description = f.str(input, 'description') ?? existing?.description;
  return {
    stageName: name, autoDeploy: f.bool(input, 'autoDeploy') ?? existing?.autoDeploy ?? false,
    createdDate: existing?.createdDate ?? now, lastUpdatedDate: now,
    ...(deploymentId !== undefined ? { deploymentId } : {}), ...(description !== undefined ? { description } : {}),
    stageVariables: f.strMap(input, 'stageVariables') ?? existing?.stageVariables ?? {},
    tags: f.strMap(input, 'tags') ?? existing?.tags ?? {},
    ...(existing?.lastDeploymentStatusMessage ? { lastDeploymentStatusMessage: existing.lastDeploymentStatusMessage } : {}),
  };
}

const list = <T>(items: T[]) => json(200, { items });

export const apiRoutes: RestRoute<ApiCtx>[] = [
  rest('POST', '/v2/apis', (c) => (authz(c), json(201, apiShape(createApi(c), c.endpoint)))),
  rest('GET', '/v2/apis', (c) => {
    authz(c);
    return list(Object.values(c.state.apis).filter((a) => a.accountId === c.principal.accountId && a.region === c.req.region).map((a) => apiShape(a, c.endpoint)));
  }),
  rest('GET', '/v2/apis/{apiId}', (c, p) => (authz(c), json(200, apiShape(api(c, p.apiId as string), c.endpoint)))),
  rest('PATCH', '/v2/apis/{apiId}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    updateApi(c, a);
    return json(200, apiShape(a, c.endpoint));
  }),
  rest('DELETE', '/v2/apis/{apiId}', (c, p) => {
    authz(c);
    delete c.state.apis[api(c, p.apiId as string).apiId];
    c.changed();
    return empty(204);
  }),

  rest('POST', '/v2/apis/{apiId}/integrations', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const i = integrationFrom(body(c));
    a.integrations[i.integrationId] = i;
    redeploy(c, a);
    return json(201, integrationShape(i));
  }),
  rest('GET', '/v2/apis/{apiId}/integrations', (c, p) => (authz(c), list(Object.values(api(c, p.apiId as string).integrations).map(integrationShape)))),
  rest('GET', '/v2/apis/{apiId}/integrations/{integrationId}', (c, p) => {
    authz(c);
    return json(200, integrationShape(integration(c, api(c, p.apiId as string), p.integrationId as string)));
  }),
  rest('PATCH', '/v2/apis/{apiId}/integrations/{integrationId}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const i = integrationFrom(body(c), integration(c, a, p.integrationId as string));
    a.integrations[i.integrationId] = i;
    redeploy(c, a);
    return json(200, integrationShape(i));
  }),
  rest('DELETE', '/v2/apis/{apiId}/integrations/{integrationId}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const i = integration(c, a, p.integrationId as string);
    const user = Object.values(a.routes).find((r) => r.target === `integrations/${i.integrationId}`);
    if (user) throw conflict(`Cannot delete integration ${i.integrationId}: route ${user.routeId} (${user.routeKey}) targets it.`);
    delete a.integrations[i.integrationId];
    redeploy(c, a);
    return empty(204);
  }),

  rest('POST', '/v2/apis/{apiId}/routes', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const r = routeFrom(c, a, body(c));
    a.routes[r.routeId] = r;
    redeploy(c, a);
    return json(201, routeShape(r));
  }),
  rest('GET', '/v2/apis/{apiId}/routes', (c, p) => (authz(c), list(Object.values(api(c, p.apiId as string).routes).map(routeShape)))),
  rest('GET', '/v2/apis/{apiId}/routes/{routeId}', (c, p) => (authz(c), json(200, routeShape(route(c, api(c, p.apiId as string), p.routeId as string))))),
  rest('PATCH', '/v2/apis/{apiId}/routes/{routeId}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const r = routeFrom(c, a, body(c), route(c, a, p.routeId as string));
    a.routes[r.routeId] = r;
    redeploy(c, a);
    return json(200, routeShape(r));
  }),
  rest('DELETE', '/v2/apis/{apiId}/routes/{routeId}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    delete a.routes[route(c, a, p.routeId as string).routeId];
    redeploy(c, a);
    return empty(204);
  }),

  rest('POST', '/v2/apis/{apiId}/stages', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const s = stageFrom(c, a, body(c));
    if (a.stages[s.stageName]) throw conflict(`Stage already exist: ${s.stageName}`);
    a.stages[s.stageName] = s;
    if (s.autoDeploy) deploy(c, a, s, true);
    c.changed();
    return json(201, stageShape(s));
  }),
  rest('GET', '/v2/apis/{apiId}/stages', (c, p) => (authz(c), list(Object.values(api(c, p.apiId as string).stages).map(stageShape)))),
  rest('GET', '/v2/apis/{apiId}/stages/{stageName}', (c, p) => (authz(c), json(200, stageShape(stage(c, api(c, p.apiId as string), p.stageName as string))))),
  rest('PATCH', '/v2/apis/{apiId}/stages/{stageName}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const before = stage(c, a, p.stageName as string);
    const s = stageFrom(c, a, body(c), before);
    a.stages[s.stageName] = s;
    if (s.autoDeploy && !before.autoDeploy) deploy(c, a, s, true);
    c.changed();
    return json(200, stageShape(s));
  }),
  rest('DELETE', '/v2/apis/{apiId}/stages/{stageName}', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    delete a.stages[stage(c, a, p.stageName as string).stageName];
    c.changed();
    return empty(204);
  }),

  rest('POST', '/v2/apis/{apiId}/deployments', (c, p) => {
    authz(c);
    const a = api(c, p.apiId as string);
    const input = body(c);
    const stageName = f.str(input, 'stageName');
    const s = stageName === undefined ? undefined : stage(c, a, stageName);
    if (s?.autoDeploy) throw bad(`Stage ${s.stageName} has auto-deploy enabled; it is deployed on every change.`);
    const d = deploy(c, a, s, false, f.str(input, 'description'));
    c.changed();
    return json(201, { autoDeployed: false, createdDate: d?.createdDate, deploymentId: d?.deploymentId, deploymentStatus: 'DEPLOYED', ...(d?.description !== undefined ? { description: d.description } : {}) });
  }),
  rest('GET', '/v2/apis/{apiId}/deployments', (c, p) => {
    authz(c);
    return list(Object.values(api(c, p.apiId as string).deployments).map((d) => ({
      autoDeployed: d.autoDeployed, createdDate: d.createdDate, deploymentId: d.deploymentId, deploymentStatus: 'DEPLOYED',
      ...(d.description !== undefined ? { description: d.description } : {}),
    })));
  }),
];

/**
 * API Gateway v2 (HTTP APIs) records, ids in AWS's formats, and the JSON shapes answered.
 */
import { randomBytes } from 'node:crypto';

export interface IntegrationRecord {
  integrationId: string;
  integrationType: string;
  integrationUri?: string;
  integrationMethod?: string;
  payloadFormatVersion: string;
  timeoutInMillis: number;
  connectionType: string;
  description?: string;
}

export interface RouteRecord {
  routeId: string;
  routeKey: string;
  target?: string;
  authorizationType: string;
  apiKeyRequired: boolean;
  operationName?: string;
}

export interface StageRecord {
  stageName: string;
  autoDeploy: boolean;
  createdDate: string;
  lastUpdatedDate: string;
  deploymentId?: string;
  description?: string;
  stageVariables: Record<string, string>;
  tags: Record<string, string>;
  lastDeploymentStatusMessage?: string;
}

export interface DeploymentRecord {
  deploymentId: string;
  createdDate: string;
  description?: string;
  autoDeployed: boolean;
  /** What the deployment froze: the routes and integrations a stage without auto-deploy serves. */
  routes: RouteRecord[];
  integrations: IntegrationRecord[];
}

export interface ApiRecord {
  apiId: string;
  accountId: string;
  region: string;
  name: string;
  protocolType: 'HTTP';
  routeSelectionExpression: string;
  apiKeySelectionExpression: string;
  description?: string;
  version?: string;
  tags: Record<string, string>;
  createdDate: string;
  disableExecuteApiEndpoint: boolean;
  corsConfiguration?: Record<string, unknown>;
  integrations: Record<string, IntegrationRecord>;
  routes: Record<string, RouteRecord>;
  stages: Record<string, StageRecord>;
  deployments: Record<string, DeploymentRecord>;
}

export interface ApiGatewayState {
  apis: Record<string, ApiRecord>;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lowercase alphanumeric ids: 10 characters for APIs, 7 for routes and integrations, 6 for deployments. */
export function newId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** The URL GetApi answers. Node's fetch does not resolve *.localhost; the `/_aws/execute-api/<apiId>` form always works. */
export function apiEndpoint(apiId: string, cloudEndpoint: string): string {
  const port = /:(\d+)$/.exec(cloudEndpoint)?.[1] ?? '80';
  return `http://${apiId}.execute-api.localhost:${port}`;
}

export function apiShape(a: ApiRecord, cloudEndpoint: string): Record<string, unknown> {
  return {
    apiEndpoint: apiEndpoint(a.apiId, cloudEndpoint),
    apiId: a.apiId,
    apiKeySelectionExpression: a.apiKeySelectionExpression,
    createdDate: a.createdDate,
    ...(a.corsConfiguration ? { corsConfiguration: a.corsConfiguration } : {}),
    ...(a.description !== undefined ? { description: a.description } : {}),
    disableExecuteApiEndpoint: a.disableExecuteApiEndpoint,
    name: a.name,
    protocolType: a.protocolType,
    routeSelectionExpression: a.routeSelectionExpression,
    tags: { ...a.tags },
    ...(a.version !== undefined ? { version: a.version } : {}),
  };
}

export function stageShape(s: StageRecord): Record<string, unknown> {
  return {
    autoDeploy: s.autoDeploy,
    createdDate: s.createdDate,
    defaultRouteSettings: { detailedMetricsEnabled: false },
    ...(s.deploymentId ? { deploymentId: s.deploymentId } : {}),
    ...(s.description !== undefined ? { description: s.description } : {}),
    ...(s.lastDeploymentStatusMessage ? { lastDeploymentStatusMessage: s.lastDeploymentStatusMessage } : {}),
    lastUpdatedDate: s.lastUpdatedDate,
    routeSettings: {},
    stageName: s.stageName,
    stageVariables: { ...s.stageVariables },
    tags: { ...s.tags },
  };
}

export function routeShape(r: RouteRecord): Record<string, unknown> {
  return {
    apiKeyRequired: r.apiKeyRequired,
    authorizationType: r.authorizationType,
    ...(r.operationName !== undefined ? { operationName: r.operationName } : {}),
    routeId: r.routeId,
    routeKey: r.routeKey,
    ...(r.target !== undefined ? { target: r.target } : {}),
  };
}

export function integrationShape(i: IntegrationRecord): Record<string, unknown> {
  return {
    connectionType: i.connectionType,
    ...(i.description !== undefined ? { description: i.description } : {}),
    integrationId: i.integrationId,
    ...(i.integrationMethod ? { integrationMethod: i.integrationMethod } : {}),
    integrationType: i.integrationType,
    ...(i.integrationUri ? { integrationUri: i.integrationUri } : {}),
    payloadFormatVersion: i.payloadFormatVersion,
    timeoutInMillis: i.timeoutInMillis,
  };
}

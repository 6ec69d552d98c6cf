import type { Selectable } from 'kysely';
import type { DeploymentsTable, InstancesTable } from './tables.js';

export interface DeploymentView {
  id: string;
  orgId: string;
  appId: string;
  app: string;
  instanceId: string;
  stage: string;
  name: string;
  component: string;
  action: 'deploy' | 'remove';
  status: DeploymentsTable['status'];
  actor: string;
  manifestId: string | null;
  inputs: Record<string, unknown>;
  provider: { id: string; name: string | null; roleArn: string | null } | null;
  outputs: Record<string, unknown> | null;
  error: { code: string; message: string; awsCode: string | null; requestId: string | null } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export function durationOf(d: Pick<Selectable<DeploymentsTable>, 'started_at' | 'finished_at'>): number | null {
  return d.started_at && d.finished_at ? new Date(d.finished_at).getTime() - new Date(d.started_at).getTime() : null;
}

export function deploymentView(d: Selectable<DeploymentsTable>, names: { app: string; name: string }): DeploymentView {
  return {
    id: d.id,
    orgId: d.org_id,
    appId: d.app_id,
    app: names.app,
    instanceId: d.instance_id,
    stage: d.stage,
    name: names.name,
    component: d.component,
    action: d.action,
    status: d.status,
    actor: d.actor,
    manifestId: d.manifest_id,
    inputs: JSON.parse(d.inputs) as Record<string, unknown>,
    provider: d.provider_id ? { id: d.provider_id, name: d.provider_name, roleArn: d.role_arn } : null,
    outputs: d.outputs ? (JSON.parse(d.outputs) as Record<string, unknown>) : null,
    error: d.error_code ? { code: d.error_code, message: d.error_message ?? '', awsCode: d.aws_code, requestId: d.aws_request_id } : null,
    createdAt: d.created_at,
    startedAt: d.started_at,
    finishedAt: d.finished_at,
    durationMs: durationOf(d),
  };
}

export interface InstanceView {
  id: string;
  appId: string;
  app: string;
  stage: string;
  name: string;
  component: string;
  status: InstancesTable['status'];
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  updatedAt: string;
  lastDeployment: { id: string; action: string; status: string; actor: string; createdAt: string; finishedAt: string | null; durationMs: number | null; error: { code: string; message: string } | null } | null;
}

export function instanceView(i: Selectable<InstancesTable>, app: string, last: Selectable<DeploymentsTable> | undefined): InstanceView {
  return {
    id: i.id,
    appId: i.app_id,
    app,
    stage: i.stage,
    name: i.name,
    component: i.component,
    status: i.status,
    inputs: JSON.parse(i.inputs) as Record<string, unknown>,
    outputs: JSON.parse(i.outputs) as Record<string, unknown>,
    updatedAt: i.updated_at,
    lastDeployment: last
      ? {
          id: last.id, action: last.action, status: last.status, actor: last.actor, createdAt: last.created_at, finishedAt: last.finished_at, durationMs: durationOf(last),
          error: last.error_code ? { code: last.error_code, message: last.error_message ?? '' } : null,
        }
      : null,
  };
}

import type { ColumnType, Generated, Kysely, Migration } from 'kysely';

export interface AppsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: string;
}

export type InstanceStatus = 'new' | 'deployed' | 'failed' | 'removed';

export interface InstancesTable {
  id: string;
  org_id: string;
  app_id: string;
  stage: string;
  name: string;
  component: string;
  /** new (never deployed), deployed, failed (never deployed successfully), removed. */
  status: InstanceStatus;
  inputs: string;
  outputs: string;
  state: string;
  last_deployment_id: string | null;
  updated_at: string;
}

/** skipped: nothing changed since the instance's last successful deployment; the cloud was not called. */
export type DeploymentStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface DeploymentsTable {
  /** dep_<time-ordered>: ordering by id is ordering by creation (the queue's FIFO order). */
  id: string;
  org_id: string;
  app_id: string;
  instance_id: string;
  stage: string;
  component: string;
  action: 'deploy' | 'remove';
  status: DeploymentStatus;
  /** Actor.name, e.g. "user:alice" or "token:ci". */
  actor: string;
  /** JSON {kind, id, userId}: enough to rebuild the Actor for the credential broker; no secret. */
  actor_ref: string;
  manifest_id: string | null;
  inputs: string;
  provider_id: string | null;
  provider_name: string | null;
  role_arn: string | null;
  outputs: string | null;
  error_code: string | null;
  error_message: string | null;
  aws_code: string | null;
  aws_request_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** Renewed by the worker running it; a running deployment whose heartbeat stops was cut short. */
  heartbeat_at: string | null;
  /**
   * Of a deploy that got past resolving its provider: the hash of what it deployed (manifest,
   * inputs, component name and version, provider id and role). The next deploy with the same
   * fingerprint after a succeeded/skipped one is skipped without a cloud call.
   */
  fingerprint?: ColumnType<string | null, string | null | undefined, string | null>;
  /** 1: deploy even when the fingerprint is unchanged (hangar deploy --refresh, a drift check). */
  refresh?: ColumnType<number, number | undefined, number>;
  /** 1 when `hangar deploy --replace` named this instance: a change AWS cannot make in place replaces the resource. */
  replace_resources: Generated<number>;
}

export interface DeploymentLogsTable {
  deployment_id: string;
  seq: number;
  ts: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

declare module '../types.js' {
  interface Database {
    apps: AppsTable;
    instances: InstancesTable;
    deployments: DeploymentsTable;
    deployment_logs: DeploymentLogsTable;
  }
}

export const deploymentMigrations: Record<string, Migration> = {
  '2026_12_01_pkg_incr_deployment_fingerprint': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('deployments').addColumn('fingerprint', 'text').execute();
      await db.schema.alterTable('deployments').addColumn('refresh', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('deployments').dropColumn('refresh').execute();
      await db.schema.alterTable('deployments').dropColumn('fingerprint').execute();
    },
  },
  '2026_12_01_comp_data_deployment_replace': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('deployments').addColumn('replace_resources', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('deployments').dropColumn('replace_resources').execute();
    },
  },
  '0220_deployment_heartbeat': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('deployments').addColumn('heartbeat_at', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('deployments').dropColumn('heartbeat_at').execute();
    },
  },
  '0050_apps_instances': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('apps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('apps_org_name', ['org_id', 'name'])
        .execute();
      await db.schema
        .createTable('instances')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('last_deployment_id', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('instances_org_app_stage_name', ['org_id', 'app_id', 'stage', 'name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('instances').execute();
      await db.schema.dropTable('apps').execute();
    },
  },
  '0200_deployments': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id').onDelete('cascade'))
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('actor_ref', 'text', (c) => c.notNull())
        .addColumn('manifest_id', 'text')
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('provider_id', 'text')
        .addColumn('provider_name', 'text')
        .addColumn('role_arn', 'text')
        .addColumn('outputs', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('aws_code', 'text')
        .addColumn('aws_request_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('deployments_instance_status').on('deployments').columns(['instance_id', 'status', 'id']).execute();
      await db.schema.createIndex('deployments_status_id').on('deployments').columns(['status', 'id']).execute();
      await db.schema.createIndex('deployments_org_id').on('deployments').columns(['org_id', 'id']).execute();
      await db.schema
        .createTable('deployment_logs')
        .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('ts', 'text', (c) => c.notNull())
        .addColumn('level', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('deployment_logs_pk', ['deployment_id', 'seq'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('deployment_logs').execute();
      await db.schema.dropTable('deployments').execute();
    },
  },
};

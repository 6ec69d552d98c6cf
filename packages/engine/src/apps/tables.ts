import type { ColumnType, Kysely, Migration } from 'kysely';
import type { AppDeploymentStatus, AppInstanceStatus } from '@hangar/core/api';

/** One deploy (or remove) of several instances of an app and stage. */
export interface AppDeploymentsTable {
  /** apd_<random> */
  id: string;
  org_id: string;
  /** The app's and stage's names as requested (the instances' own rows are the deployments feature's). */
  app: string;
  stage: string;
  action: 'deploy' | 'remove';
  status: AppDeploymentStatus;
  actor: string;
  /** JSON {userId, role, actor, scope?}: who asked, to queue each instance's deployment in their name later. No secret. */
  auth: string;
  created_at: string;
  finished_at: string | null;
}

/** One instance of an app deployment: its inputs as written, what it waits for, and its own deployment once queued. */
export interface AppDeploymentInstancesTable {
  app_deployment_id: string;
  name: string;
  /** Dependency order (a remove: reverse dependency order). */
  position: number;
  component: string;
  file: string;
  /** JSON, `${output:}` references as written. */
  inputs: string;
  manifest_id: string | null;
  /** 1: deploy with `replace` (see POST /deployments). */
  replace_resources: number;
  /** 1: deploy even when unchanged (see POST /deployments `refresh`). */
  refresh: ColumnType<number, number | undefined, number>;
  /** JSON array of instance names of this app deployment. */
  waits_for: string;
  status: AppInstanceStatus;
  deployment_id: string | null;
  /** The instance's id (the deployments feature's), once its deployment is queued. */
  instance_id: string | null;
  outputs: string | null;
  error_code: string | null;
  error_message: string | null;
  started_at: string | null;
  finished_at: string | null;
}

declare module '../types.js' {
  interface Database {
    app_deployments: AppDeploymentsTable;
    app_deployment_instances: AppDeploymentInstancesTable;
  }
}

export const appsMigrations: Record<string, Migration> = {
  '2026_12_01_apps_app_deployments': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('app_deployments')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('app', 'text', (c) => c.notNull())
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('auth', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('app_deployments_status').on('app_deployments').columns(['status', 'id']).execute();
      await db.schema.createIndex('app_deployments_org').on('app_deployments').columns(['org_id', 'app', 'stage', 'id']).execute();
      await db.schema
        .createTable('app_deployment_instances')
        .addColumn('app_deployment_id', 'text', (c) => c.notNull().references('app_deployments.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('component', 'text', (c) => c.notNull())
        .addColumn('file', 'text', (c) => c.notNull())
        .addColumn('inputs', 'text', (c) => c.notNull())
        .addColumn('manifest_id', 'text')
        .addColumn('replace_resources', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('refresh', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('waits_for', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('deployment_id', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('outputs', 'text')
        .addColumn('error_code', 'text')
        .addColumn('error_message', 'text')
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addPrimaryKeyConstraint('app_deployment_instances_pk', ['app_deployment_id', 'name'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('app_deployment_instances').execute();
      await db.schema.dropTable('app_deployments').execute();
    },
  },
};

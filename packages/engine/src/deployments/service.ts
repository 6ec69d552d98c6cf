import { HangarError } from '@hangar/core';
import { componentNotFound, validateInputs } from '@hangar/components';
import type { z } from 'zod';
import { createDeployment } from '@hangar/core/api';
import type { Clock, Db, RequestAuth } from '../types.js';
import type { SourceCache } from '../source/source-cache.js';
import { dialectOf } from '../store/db.js';
import type { ComponentLookup } from './components.js';
import { createAppsRepo } from './apps-repo.js';
import { randomId } from './ids.js';
import { requireScope } from '../http/scope.js';
import { deploymentView, instanceView, type DeploymentView, type InstanceView } from './views.js';

/** The body of POST /deployments (declared in the API contract). */
export const createDeploymentSchema = createDeployment.body;
export type CreateDeploymentBody = z.output<typeof createDeploymentSchema>;

export interface DeploymentService {
  create(auth: RequestAuth, body: CreateDeploymentBody): Promise<{ deploymentId: string; status: 'queued'; instanceId: string }>;
  get(orgId: string, id: string): Promise<DeploymentView>;
  list(orgId: string, query: { instanceId?: string | undefined; limit: number }): Promise<DeploymentView[]>;
  instances(orgId: string): Promise<InstanceView[]>;
  instance(orgId: string, id: string): Promise<InstanceView>;
  instanceByName(orgId: string, app: string, stage: string, name: string): Promise<InstanceView>;
}

export function createDeploymentService(deps: {
  db: Db;
  clock: Clock;
  lookup: ComponentLookup;
  /** The names of the components `lookup` knows, for COMPONENT_NOT_FOUND's message. */
  componentNames: () => readonly string[];
  source: SourceCache;
  /** A new time-ordered id sorting after `after` (the instance's newest deployment), if given. */
  newDeploymentId: (after?: string) => string;
  /** Makes a deployment just inserted in `tx` claimable (the queue's job commits with the row). */
  enqueue: (tx: Db, dep: { id: string; orgId: string; instanceId: string }) => Promise<void>;
  /** Called after a deployment is queued. */
  queued: () => void;
}): DeploymentService {
  const { db, clock } = deps;

  const apps = createAppsRepo(db, clock);
  async function ensureApp(orgId: string, app: string): Promise<string> {
    return (await apps.ensure(orgId, app)).id;
  }

  async function findInstance(orgId: string, appId: string, stage: string, name: string) {
    return db.selectFrom('instances').selectAll().where('org_id', '=', orgId).where('app_id', '=', appId).where('stage', '=', stage).where('name', '=', name).executeTakeFirst();
  }

  async function namesFor(rows: { app_id: string; instance_id: string }[]): Promise<{ apps: Map<string, string>; instances: Map<string, string> }> {
    const appIds = [...new Set(rows.map((r) => r.app_id))];
    const instIds = [...new Set(rows.map((r) => r.instance_id))];
    const apps = appIds.length ? await db.selectFrom('apps').select(['id', 'name']).where('id', 'in', appIds).execute() : [];
    const insts = instIds.length ? await db.selectFrom('instances').select(['id', 'name']).where('id', 'in', instIds).execute() : [];
    return { apps: new Map(apps.map((a) => [a.id, a.name])), instances: new Map(insts.map((i) => [i.id, i.name])) };
  }

  async function views(orgId: string, rows: Awaited<ReturnType<typeof findInstance>>[]): Promise<InstanceView[]> {
    const present = rows.filter((r): r is NonNullable<typeof r> => !!r);
    const apps = present.length ? await db.selectFrom('apps').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', [...new Set(present.map((r) => r.app_id))]).execute() : [];
    const lastIds = present.map((r) => r.last_deployment_id).filter((x): x is string => !!x);
    const last = lastIds.length ? await db.selectFrom('deployments').selectAll().where('id', 'in', lastIds).execute() : [];
    const appName = new Map(apps.map((a) => [a.id, a.name]));
    const lastById = new Map(last.map((d) => [d.id, d]));
    return present.map((r) => instanceView(r, appName.get(r.app_id) ?? '', r.last_deployment_id ? lastById.get(r.last_deployment_id) : undefined));
  }

  const notFound = (what: string): never => {
    throw new HangarError('NOT_FOUND', `${what} not found in this organisation.`);
  };

  return {
    async create(auth, body) {
      requireScope(auth, body.app, body.stage);
      const orgId = auth.orgId;
      const app = await db.selectFrom('apps').select('id').where('org_id', '=', orgId).where('name', '=', body.app).executeTakeFirst();
      const existing = app ? await findInstance(orgId, app.id, body.stage, body.name) : undefined;
      const live = existing && (existing.status === 'deployed' || existing.status === 'failed');
      let componentName = body.component;
      if (body.action === 'remove') {
        if (!existing || existing.status === 'removed') notFound(`Instance ${body.app}/${body.stage}/${body.name}`);
        componentName = existing!.component;
      } else if (live && existing!.component !== body.component) {
        throw new HangarError('DEPLOY_COMPONENT_CHANGED', `Instance ${body.app}/${body.stage}/${body.name} is a ${existing!.component}; it cannot become a ${body.component}. Remove it first (hangar remove) or use another name.`, {
          details: { current: existing!.component, requested: body.component },
        });
      }
      const component = deps.lookup(componentName);
      if (!component) throw componentNotFound(componentName, deps.componentNames());
      const inputs = body.action === 'deploy' ? validateInputs(component, body.inputs) : undefined;
      if (body.manifestId) await deps.source.requireComplete(orgId, body.manifestId);
      // Before anything is queued (so before any cloud call): e.g. the handler's file is in the source.
      if (body.action === 'deploy' && body.manifestId && component.checkSource) component.checkSource(inputs, await deps.source.paths(orgId, body.manifestId));

      const appId = app?.id ?? (await ensureApp(orgId, body.app));
      const now = clock.now().toISOString();
      let instanceId = existing?.id;
      if (!instanceId) {
        await db
          .insertInto('instances')
          .values({ id: randomId('ins'), org_id: orgId, app_id: appId, stage: body.stage, name: body.name, component: componentName, status: 'new', inputs: '{}', outputs: '{}', state: '{}', last_deployment_id: null, updated_at: now })
          .onConflict((oc) => oc.columns(['org_id', 'app_id', 'stage', 'name']).doNothing())
          .execute();
        instanceId = (await findInstance(orgId, appId, body.stage, body.name))!.id;
      }
      // The queue runs an instance's deployments in id order, so an id must never be visible after
      // a later one: create them one at a time per instance (a row lock on PostgreSQL; SQLite has
      // one writer) and give each an id after the instance's newest. Without this, two requests
      // racing on PostgreSQL could commit out of id order and the later one would run first.
      const id = instanceId;
      const deploymentId = await db.transaction().execute(async (tx) => {
        if (dialectOf(db) === 'postgres') await tx.selectFrom('instances').select('id').where('id', '=', id).forUpdate().execute();
        const newest = await tx.selectFrom('deployments').select('id').where('instance_id', '=', id).orderBy('id', 'desc').limit(1).executeTakeFirst();
        const depId = deps.newDeploymentId(newest?.id);
        await tx
          .insertInto('deployments')
          .values({
            id: depId, org_id: orgId, app_id: appId, instance_id: id, stage: body.stage, component: componentName, action: body.action, status: 'queued',
            actor: auth.actor.name, actor_ref: JSON.stringify({ kind: auth.actor.kind, id: auth.actor.id, userId: auth.actor.userId }),
            manifest_id: body.manifestId ?? null, inputs: JSON.stringify(body.action === 'deploy' ? body.inputs : {}),
            provider_id: null, provider_name: null, role_arn: null, outputs: null, error_code: null, error_message: null, aws_code: null, aws_request_id: null,
            created_at: now, started_at: null, finished_at: null, heartbeat_at: null, refresh: body.action === 'deploy' && body.refresh ? 1 : 0,
            replace_resources: body.action === 'deploy' && body.replace === true ? 1 : 0,
          })
          .execute();
        await deps.enqueue(tx, { id: depId, orgId, instanceId: id });
        return depId;
      });
      deps.queued();
      return { deploymentId, status: 'queued', instanceId };
    },

    async get(orgId, id) {
      const d = await db.selectFrom('deployments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!d) return notFound(`Deployment ${id}`);
      const n = await namesFor([d]);
      return deploymentView(d, { app: n.apps.get(d.app_id) ?? '', name: n.instances.get(d.instance_id) ?? '' });
    },

    async list(orgId, query) {
      let q = db.selectFrom('deployments').selectAll().where('org_id', '=', orgId);
      if (query.instanceId) q = q.where('instance_id', '=', query.instanceId);
      const rows = await q.orderBy('id', 'desc').limit(query.limit).execute();
      const n = await namesFor(rows);
      return rows.map((d) => deploymentView(d, { app: n.apps.get(d.app_id) ?? '', name: n.instances.get(d.instance_id) ?? '' }));
    },

    async instances(orgId) {
      const rows = await db.selectFrom('instances').selectAll().where('org_id', '=', orgId).orderBy('app_id').orderBy('stage').orderBy('name').execute();
      const v = await views(orgId, rows);
      return v.sort((a, b) => a.app.localeCompare(b.app) || a.stage.localeCompare(b.stage) || a.name.localeCompare(b.name));
    },

    async instance(orgId, id) {
      const row = await db.selectFrom('instances').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!row) return notFound(`Instance ${id}`);
      return (await views(orgId, [row]))[0]!;
    },

    async instanceByName(orgId, app, stage, name) {
      const a = await db.selectFrom('apps').select('id').where('org_id', '=', orgId).where('name', '=', app).executeTakeFirst();
      const row = a ? await findInstance(orgId, a.id, stage, name) : undefined;
      if (!row) return notFound(`Instance ${app}/${stage}/${name}`);
      return (await views(orgId, [row]))[0]!;
    },
  };
}

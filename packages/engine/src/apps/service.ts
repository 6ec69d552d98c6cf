/**
 * App deployments: validate the whole graph first (components, references, cycles, stored outputs
 * of instances outside the deployment), then queue each instance's own deployment (through the
 * deployments feature, as the person who asked) as soon as what it waits for has succeeded, at most
 * `parallelism` at once. A failure skips only the instances that (transitively) wait for it.
 *
 * `advance(id)` is the one step that moves an app deployment on; it is idempotent, run when one of
 * its deployments reports (the in-process bus) and by a poll (deployments run by another engine).
 * Claims are conditional updates, so two engines advancing the same app deployment queue each
 * instance once.
 */
import { randomBytes } from 'node:crypto';
import { HangarError, appGraph, hasReferences, outputAt, substituteReferences, type OutputReference } from '@hangar/core';
import type { AppDeployment, AppDeploymentInstance, AppInstanceStatus, createAppDeployment } from '@hangar/core/api';
import type { z } from 'zod';
import type { Selectable } from 'kysely';
import type { Clock, Db, Logger, RequestAuth } from '../types.js';
import type { DeploymentService } from '../deployments/service.js';
import type { InstanceView } from '../deployments/views.js';
import { requireScope } from '../http/scope.js';
import type { AppDeploymentInstancesTable, AppDeploymentsTable } from './tables.js';
import './tables.js';

export type CreateAppDeploymentBody = z.output<typeof createAppDeployment.body>;

export interface AppsServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly deployments: Pick<DeploymentService, 'create' | 'get' | 'instanceByName'>;
  /** Throws COMPONENT_NOT_FOUND for a component the engine does not have. */
  readonly checkComponent: (name: string) => void;
  /** Throws COMPONENT_INPUTS_INVALID for inputs that do not fit the component (checked up front for instances without references). */
  readonly checkInputs?: (component: string, inputs: unknown) => void;
  /** Wake-ups when a deployment writes a log line or changes status (in this process). */
  readonly subscribe: (deploymentId: string, listener: () => void) => () => void;
  /** Most instances of one app deployment queued or running at once. */
  readonly parallelism: number;
  /** Called whenever an app deployment's rows changed (event streams listen). */
  readonly changed?: (id: string) => void;
}

export interface AppsService {
  create(auth: RequestAuth, body: CreateAppDeploymentBody): Promise<AppDeployment>;
  get(orgId: string, id: string): Promise<AppDeployment>;
  list(orgId: string, query: { app?: string | undefined; stage?: string | undefined; limit: number }): Promise<AppDeployment[]>;
  /** Move one app deployment on (idempotent). */
  advance(id: string): Promise<void>;
  /** Advance every running app deployment (the poll). */
  advanceAll(): Promise<void>;
  /** Drop the bus subscriptions and wait for the advances in progress. */
  close(): Promise<void>;
}

type Row = Selectable<AppDeploymentInstancesTable>;
type AppRow = Selectable<AppDeploymentsTable>;

/** A claimed instance still without a deployment after this long was claimed by an engine that stopped. */
const ORPHAN_MS = 60_000;
const TERMINAL = new Set<AppInstanceStatus>(['succeeded', 'failed', 'skipped']);
/** Skipped because of a failure (as opposed to "nothing to remove"). */
const failedLike = (r: Row) => r.status === 'failed' || (r.status === 'skipped' && r.error_code !== null);

function instanceView(r: Row): AppDeploymentInstance {
  return {
    name: r.name, component: r.component, file: r.file, status: r.status, waitsFor: JSON.parse(r.waits_for) as string[],
    deploymentId: r.deployment_id, instanceId: r.instance_id, inputs: JSON.parse(r.inputs) as Record<string, unknown>,
    outputs: r.outputs ? JSON.parse(r.outputs) as Record<string, unknown> : null,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    startedAt: r.started_at, finishedAt: r.finished_at,
  };
}

function view(a: AppRow, rows: Row[]): AppDeployment {
  return {
    id: a.id, orgId: a.org_id, app: a.app, stage: a.stage, action: a.action, status: a.status, actor: a.actor,
    createdAt: a.created_at, finishedAt: a.finished_at,
    instances: [...rows].sort((x, y) => Number(x.position) - Number(y.position)).map(instanceView),
  };
}

function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof HangarError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function createAppsService(deps: AppsServiceDeps): AppsService {
  const { db, clock, logger } = deps;
  const subscriptions = new Map<string, () => void>();
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();

  async function storedInstance(orgId: string, app: string, stage: string, name: string): Promise<InstanceView | undefined> {
    try {
      return await deps.deployments.instanceByName(orgId, app, stage, name);
    } catch (e) {
      if (e instanceof HangarError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  /** The value of a reference to an instance outside this deployment, from its stored outputs. */
  async function storedOutput(orgId: string, file: string, ref: OutputReference, app: string, stage: string): Promise<unknown> {
    const ins = await storedInstance(orgId, app, stage, ref.instance);
    const where = `${file}: ${ref.path}`;
    if (!ins || ins.status !== 'deployed') {
      const inApp = ref.app === undefined ? ' is not an instance of this app and' : '';
      throw new HangarError('PROJECT_REFERENCE_UNKNOWN', `${where}: ${ref.text} refers to instance ${app}/${stage}/${ref.instance}, which${inApp} ${ins ? `is ${ins.status === 'removed' ? 'removed' : 'not deployed (its last deployment failed)'}` : 'has never been deployed'}. Deploy it first, or fix the name.`, {
        details: { file, path: ref.path, reference: ref.text, instance: `${app}/${stage}/${ref.instance}` },
      });
    }
    const value = outputAt(ins.outputs, ref.key);
    if (value === undefined) throw missingKey(where, ref, `${app}/${stage}/${ref.instance}`, Object.keys(ins.outputs), file);
    return value;
  }

  function missingKey(where: string, ref: OutputReference, instance: string, keys: string[], file: string): HangarError {
    return new HangarError('PROJECT_REFERENCE_MISSING_KEY', `${where}: ${ref.text}: instance ${instance} has no output "${ref.key}"; its outputs are ${keys.length ? keys.join(', ') : '(none)'}.`, {
      details: { file, path: ref.path, reference: ref.text, instance, key: ref.key },
    });
  }

  async function rowsOf(id: string): Promise<Row[]> {
    return db.selectFrom('app_deployment_instances').selectAll().where('app_deployment_id', '=', id).orderBy('position').execute();
  }

  async function setRow(id: string, name: string, from: AppInstanceStatus, values: Partial<Row>): Promise<boolean> {
    const r = await db.updateTable('app_deployment_instances').set(values).where('app_deployment_id', '=', id).where('name', '=', name).where('status', '=', from).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  function watch(appDeploymentId: string, deploymentId: string): void {
    if (subscriptions.has(deploymentId)) return;
    subscriptions.set(deploymentId, deps.subscribe(deploymentId, () => schedule(appDeploymentId)));
  }
  function unwatch(deploymentId: string | null): void {
    if (!deploymentId) return;
    subscriptions.get(deploymentId)?.();
    subscriptions.delete(deploymentId);
  }

  /** Run `advance` for `id`, coalescing calls that arrive while one runs into one more pass. */
  function schedule(id: string): Promise<void> {
    const current = running.get(id);
    if (current) {
      again.add(id);
      return current;
    }
    const p = (async () => {
      try {
        do {
          again.delete(id);
          await step(id);
        } while (again.has(id));
      } catch (err) {
        logger.error('app deployment could not advance', { appDeploymentId: id, err });
      } finally {
        running.delete(id);
      }
    })();
    running.set(id, p);
    return p;
  }

  async function step(id: string): Promise<void> {
    const a = await db.selectFrom('app_deployments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!a || a.status !== 'running') return;
    let changed = false;
    const now = () => clock.now().toISOString();
    let rows = await rowsOf(id);

    // 1. What the instances' own deployments did.
    for (const r of rows) {
      if (r.status === 'queued' && !r.deployment_id && r.started_at && clock.now().getTime() - Date.parse(r.started_at) > ORPHAN_MS) {
        // Claimed, but the engine that claimed it stopped before its deployment was created.
        if (await setRow(id, r.name, 'queued', { status: 'failed', error_code: 'DEPLOY_INTERRUPTED', error_message: `The engine stopped while queueing ${r.name}; nothing was deployed. Deploy the app again.`, finished_at: now() })) changed = true;
        continue;
      }
      if ((r.status !== 'queued' && r.status !== 'running') || !r.deployment_id) continue;
      watch(id, r.deployment_id);
      const d = await deps.deployments.get(a.org_id, r.deployment_id);
      if (d.status === r.status) continue;
      const values: Partial<Row> = { status: d.status };
      if (d.status === 'running') values.started_at = d.startedAt ?? r.started_at;
      // `skipped`: unchanged since its last success (no cloud call); its outputs are the instance's, as after a success.
      if (d.status === 'succeeded' || d.status === 'failed' || d.status === 'skipped') {
        values.finished_at = d.finishedAt ?? now();
        values.started_at = d.startedAt ?? r.started_at;
        values.outputs = d.outputs ? JSON.stringify(d.outputs) : null;
        if (d.error) { values.error_code = d.error.code; values.error_message = d.error.message; }
        unwatch(r.deployment_id);
      }
      if (await setRow(id, r.name, r.status, values)) changed = true;
    }
    rows = await rowsOf(id);
    const byName = new Map(rows.map((r) => [r.name, r]));

    // 2. Skip what waits for a failure (transitively: repeat until nothing changes).
    for (let more = true; more;) {
      more = false;
      for (const r of rows) {
        if (r.status !== 'pending') continue;
        const bad = (JSON.parse(r.waits_for) as string[]).map((n) => byName.get(n)!).find((w) => failedLike(w));
        if (!bad) continue;
        const verb = a.action === 'remove' ? `not removed: ${bad.name} (${bad.file}), which references it,` : `not deployed: ${bad.name} (${bad.file}), which it references,`;
        const why = bad.status === 'failed' ? 'failed' : 'was skipped';
        const values = { status: 'skipped' as const, error_code: 'APP_DEPENDENCY_FAILED', error_message: `${r.name} was ${verb} ${why}${bad.error_code && bad.status === 'failed' ? ` (${bad.error_code})` : ''}.`, finished_at: now() };
        if (await setRow(id, r.name, 'pending', values)) {
          Object.assign(r, values);
          changed = more = true;
        }
      }
    }

    // 3. Queue what is ready, in order, within the parallelism.
    let active = rows.filter((r) => r.status === 'queued' || r.status === 'running').length;
    for (const r of rows) {
      if (active >= deps.parallelism) break;
      if (r.status !== 'pending') continue;
      const waits = (JSON.parse(r.waits_for) as string[]).map((n) => byName.get(n)!);
      if (!waits.every((w) => w.status === 'succeeded' || (w.status === 'skipped' && w.error_code === null))) continue;
      if (!(await setRow(id, r.name, 'pending', { status: 'queued', started_at: now() }))) continue; // another engine took it
      changed = true;
      active++;
      try {
        const raw = JSON.parse(r.inputs) as Record<string, unknown>;
        let inputs: Record<string, unknown> = {};
        if (a.action === 'deploy') {
          const external = new Map<string, unknown>();
          // Resolve the references first (awaiting the stored ones), then substitute synchronously.
          const refs: OutputReference[] = [];
          substituteReferences(raw, (ref) => { refs.push(ref); return ''; }, 'inputs', r.file);
          for (const ref of refs) {
            const app = ref.app ?? a.app;
            const stage = ref.stage ?? a.stage;
            const inner = app === a.app && stage === a.stage ? byName.get(ref.instance) : undefined;
            if (inner) {
              const outputs = inner.outputs ? JSON.parse(inner.outputs) as Record<string, unknown> : {};
              const value = outputAt(outputs, ref.key);
              if (value === undefined) throw missingKey(`${r.file}: ${ref.path}`, ref, `${app}/${stage}/${ref.instance}`, Object.keys(outputs), r.file);
              external.set(`${ref.path}|${ref.text}`, value);
            } else {
              external.set(`${ref.path}|${ref.text}`, await storedOutput(a.org_id, r.file, ref, app, stage));
            }
          }
          inputs = substituteReferences(raw, (ref) => external.get(`${ref.path}|${ref.text}`), 'inputs', r.file) as Record<string, unknown>;
        }
        const auth = { orgId: a.org_id, ...(JSON.parse(a.auth) as Omit<RequestAuth, 'orgId'>) };
        const created = await deps.deployments.create(auth, {
          app: a.app, stage: a.stage, name: r.name, component: r.component, inputs, action: a.action,
          ...(a.action === 'deploy' && r.manifest_id ? { manifestId: r.manifest_id } : {}),
          ...(a.action === 'deploy' && Number(r.replace_resources) === 1 ? { replace: true } : {}),
          refresh: a.action === 'deploy' && Number(r.refresh) === 1,
        });
        await setRow(id, r.name, 'queued', { deployment_id: created.deploymentId, instance_id: created.instanceId });
        watch(id, created.deploymentId);
      } catch (e) {
        const err = errorOf(e);
        if (err.code === 'INTERNAL') logger.error('queueing an instance of an app deployment failed', { appDeploymentId: id, instance: r.name, err: e });
        await setRow(id, r.name, 'queued', { status: 'failed', error_code: err.code, error_message: err.message, finished_at: now() });
        active--;
        again.add(id); // its dependents are skipped on the next pass
      }
    }

    // 4. Finished?
    rows = await rowsOf(id);
    if (rows.every((r) => TERMINAL.has(r.status))) {
      const status = rows.some(failedLike) ? 'failed' : 'succeeded';
      const r = await db.updateTable('app_deployments').set({ status, finished_at: now() }).where('id', '=', id).where('status', '=', 'running').executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) changed = true;
    }
    if (changed) deps.changed?.(id);
  }

  async function get(orgId: string, id: string): Promise<AppDeployment> {
    const a = await db.selectFrom('app_deployments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!a) throw new HangarError('NOT_FOUND', `App deployment ${id} not found in this organisation.`);
    return view(a, await rowsOf(id));
  }

  return {
    async create(auth, body) {
      requireScope(auth, body.app, body.stage);
      const orgId = auth.orgId;
      for (const i of body.instances) if (body.action === 'deploy') deps.checkComponent(i.component);
      // Cycles, malformed references, duplicate names: refused before anything is stored.
      const graph = appGraph(body.instances.map((i) => ({ name: i.name, file: i.file, inputs: i.inputs })), body.app, body.stage);
      if (body.action === 'deploy' && deps.checkInputs) {
        // Inputs without references are final: a mistake in them is refused before anything runs.
        // (Those with references are checked when the references are resolved.)
        for (const i of body.instances) {
          if (hasReferences(i.inputs)) continue;
          try {
            deps.checkInputs(i.component, i.inputs);
          } catch (e) {
            if (e instanceof HangarError) throw new HangarError(e.code, `${i.file}: ${e.message}`, { ...(e.details ? { details: { ...e.details, file: i.file } } : {}), cause: e });
            throw e;
          }
        }
      }
      const skipped = new Set<string>();
      if (body.action === 'deploy') {
        // References outside this deployment must resolve now, from stored outputs.
        for (const e of graph.external) {
          requireScope(auth, e.app, e.stage); // a CI token reads no other app's or stage's outputs
          await storedOutput(orgId, e.from.file, e.ref, e.app, e.stage);
        }
      } else {
        for (const i of body.instances) {
          const ins = await storedInstance(orgId, body.app, body.stage, i.name);
          if (!ins || ins.status === 'removed') skipped.add(i.name);
        }
      }
      const order = body.action === 'deploy' ? graph.order : [...graph.order].reverse();
      const waitsFor = (name: string): string[] => body.action === 'deploy'
        ? [...graph.dependsOn[name]!]
        : Object.entries(graph.dependsOn).filter(([, ds]) => ds.includes(name)).map(([n]) => n);
      const id = `apd_${randomBytes(10).toString('hex')}`;
      const now = clock.now().toISOString();
      const { orgId: _o, ...who } = auth;
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('app_deployments').values({
          id, org_id: orgId, app: body.app, stage: body.stage, action: body.action, status: 'running', actor: auth.actor.name,
          auth: JSON.stringify(who), created_at: now, finished_at: null,
        }).execute();
        await tx.insertInto('app_deployment_instances').values(order.map((name, position) => {
          const i = body.instances.find((x) => x.name === name)!;
          const nothing = skipped.has(name);
          return {
            app_deployment_id: id, name, position, component: i.component, file: i.file, inputs: JSON.stringify(i.inputs), manifest_id: i.manifestId ?? null, replace_resources: i.replace === true ? 1 : 0, refresh: i.refresh === true ? 1 : 0,
            waits_for: JSON.stringify(waitsFor(name)), status: nothing ? 'skipped' as const : 'pending' as const, deployment_id: null, instance_id: null, outputs: null,
            error_code: null, error_message: nothing ? 'never deployed (or already removed): nothing to remove' : null,
            started_at: null, finished_at: nothing ? now : null,
          };
        })).execute();
      });
      await schedule(id);
      return get(orgId, id);
    },

    get,

    async list(orgId, query) {
      let q = db.selectFrom('app_deployments').selectAll().where('org_id', '=', orgId);
      if (query.app) q = q.where('app', '=', query.app);
      if (query.stage) q = q.where('stage', '=', query.stage);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
      const instances = rows.length ? await db.selectFrom('app_deployment_instances').selectAll().where('app_deployment_id', 'in', rows.map((r) => r.id)).execute() : [];
      return rows.map((a) => view(a, instances.filter((i) => i.app_deployment_id === a.id)));
    },

    advance: schedule,

    async advanceAll() {
      const active = await db.selectFrom('app_deployments').select('id').where('status', '=', 'running').execute();
      await Promise.all(active.map((a) => schedule(a.id)));
    },

    async close() {
      for (const off of subscriptions.values()) off();
      subscriptions.clear();
      await Promise.allSettled([...running.values()]);
    },
  };
}

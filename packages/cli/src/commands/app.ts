/**
 * `hangar deploy`, `remove` and `info` at the root of an app of several instances: one app
 * deployment in the engine, which deploys each instance as soon as the instances it references
 * (`${output:<instance>.<key>}`) have succeeded. Progress: one line per instance status change and
 * each instance's log, prefixed with its name.
 */
import { appGraph, HangarError, type SourceInput } from '@hangar/core';
import type { AppDeployment, AppDeploymentInstance, createAppDeployment, listInstances } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { followEvents } from '../deploy/follow.js';
import { waitForAppDeployment } from '../deploy/follow-app.js';
import { createUi, errorJson, printJson } from '../output.js';
import type { Workspace } from '../project-file.js';
import { openSession, type Session } from '../session.js';
import { checkSourceEarly, sendSource, type CheckedSource } from '../source/send.js';
import { engineInputs } from './deploy.js';

type AppWorkspace = Extract<Workspace, { kind: 'app' }>;

export interface AppResult {
  appDeploymentId: string | null;
  app: string;
  stage: string;
  action: 'deploy' | 'remove';
  status: string;
  durationMs: number;
  instances: { name: string; component: string; status: string; deploymentId: string | null; outputs: Record<string, unknown>; error: { code: string; message: string } | null }[];
  error?: { code: string; message: string };
}

const NO_CREDENTIALS = 'No local cloud credentials were read.';

/** Create the app deployment and follow it: status lines and each instance's log, prefixed with its name. */
async function runApp(ctx: CommandContext, session: Session, ws: AppWorkspace, action: 'deploy' | 'remove', manifests: Map<string, string>, quiet: boolean, replace: ReadonlySet<string> = new Set(), refresh = false): Promise<AppDeployment> {
  const ui = createUi(ctx, quiet);
  const created = await session.client.call<typeof createAppDeployment>('POST', '/api/v1/orgs/:orgId/app-deployments', {
    params: { orgId: session.orgId },
    body: {
      app: ws.app, stage: ws.stage, action,
      instances: ws.instances.map((i) => ({
        name: i.project.name, component: i.project.component, file: i.file,
        // A remove sends them too: its order is the references', reversed.
        inputs: engineInputs(i.project),
        ...(manifests.has(i.project.name) ? { manifestId: manifests.get(i.project.name)! } : {}),
        ...(replace.has(i.project.name) ? { replace: true } : {}),
        ...(refresh && action === 'deploy' ? { refresh: true } : {}),
      })),
    },
  });
  ui.step(`${action === 'deploy' ? 'Deploying' : 'Removing'} app ${ws.app}/${ws.stage}: ${created.instances.map((i) => i.name).join(', ')} (app deployment ${created.id})`);
  const width = Math.max(...created.instances.map((i) => i.name.length));
  const tag = (name: string) => `[${name.padEnd(width)}]`;
  const followers: Promise<unknown>[] = [];
  const following = new Set<string>();
  const seen = new Map<string, string>();
  const onInstance = (i: AppDeploymentInstance) => {
    if (seen.get(i.name) !== i.status) {
      seen.set(i.name, i.status);
      const extra = i.status === 'queued' && i.deploymentId ? ` (deployment ${i.deploymentId})` : i.error ? `: ${i.error.message}` : '';
      const line = `${tag(i.name)} ${i.status}${extra}`;
      if (i.status === 'failed' || (i.status === 'skipped' && i.error)) ui.warn(line);
      else ui.info(line);
    }
    if (i.deploymentId && !following.has(i.deploymentId)) {
      following.add(i.deploymentId);
      followers.push(followEvents(session.client, session.orgId, i.deploymentId, {
        log: (l) => (l.level === 'error' ? ui.warn(`${tag(i.name)} ${l.message}`) : ui.info(`${tag(i.name)} ${l.message}`)),
      }).catch(() => undefined)); // a log stream that drops costs lines, not the result
    }
  };
  for (const i of created.instances) onInstance(i);
  const done = await waitForAppDeployment(session.client, session.orgId, created.id, onInstance);
  await Promise.all(followers);
  return done;
}

function resultOf(ws: AppWorkspace, action: 'deploy' | 'remove', a: AppDeployment, durationMs: number): AppResult {
  const failed = a.instances.filter((i) => i.status === 'failed');
  const skipped = a.instances.filter((i) => i.status === 'skipped' && i.error);
  return {
    appDeploymentId: a.id, app: a.app, stage: a.stage, action, status: a.status, durationMs,
    instances: a.instances.map((i) => ({ name: i.name, component: i.component, status: i.status, deploymentId: i.deploymentId, outputs: i.outputs ?? {}, error: i.error })),
    // Each instance's own error is shown with it; this one says which.
    ...(a.status === 'failed' ? { error: { code: failed[0]?.error?.code ?? 'APP_DEPENDENCY_FAILED', message: `${a.action === 'remove' ? 'The remove' : 'The deploy'} of app ${a.app}/${a.stage} failed: ${failed.map((i) => i.name).join(', ') || 'none'} failed${skipped.length ? `; ${skipped.map((i) => i.name).join(', ')} skipped` : ''}.` } } : {}),
  };
}

function printApp(ctx: CommandContext, r: AppResult): void {
  const ui = createUi(ctx);
  const verb = r.action === 'remove' ? 'Removed' : 'Deployed';
  if (r.status === 'succeeded') ui.success(`${verb} app ${r.app}/${r.stage} (${r.instances.length} instances) in ${(r.durationMs / 1000).toFixed(1)} s`);
  for (const i of r.instances) {
    ctx.stdout.write(`${i.name} (${i.component}): ${i.status}${i.error ? ` — ${i.error.message}` : ''}\n`);
    if (r.action === 'deploy') for (const [k, v] of Object.entries(i.outputs)) ctx.stdout.write(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
  }
  ctx.stdout.write(`${NO_CREDENTIALS}\n`);
  if (r.error) ctx.stderr.write(`✖ ${r.error.message} (${r.error.code})\n`);
}

function failure(ws: AppWorkspace, action: 'deploy' | 'remove', started: number, e: unknown): AppResult {
  return { appDeploymentId: null, app: ws.app, stage: ws.stage, action, status: 'failed', durationMs: Date.now() - started, instances: [], error: errorJson(e) };
}

/** `--replace <instance-or-component>` at an app root: the instances it names (by name, or all of that component); refuses a target naming none. */
function replaceTargets(ws: AppWorkspace, target: string | undefined): Set<string> {
  if (target === undefined) return new Set();
  const hit = ws.instances.filter((i) => i.project.name === target || i.project.component === target || i.project.component.split('@')[0] === target);
  if (hit.length === 0) {
    throw new HangarError('VALIDATION_FAILED', `--replace ${target}: no instance of app ${ws.app} is named so or is a ${target} (instances: ${ws.instances.map((i) => `${i.project.name} (${i.project.component})`).join(', ')}); name one of them or its component.`, {
      details: { replace: target },
    });
  }
  return new Set(hit.map((i) => i.project.name));
}

export async function deployApp(ctx: CommandContext, ws: AppWorkspace, options: { json?: boolean | undefined; replace?: string | undefined; refresh?: boolean | undefined }): Promise<number> {
  const started = Date.now();
  const json = options.json === true;
  const ui = createUi(ctx, json);
  try {
    const replace = replaceTargets(ws, options.replace);
    // Cycles and malformed references are refused before the engine hears of this deploy.
    appGraph(ws.instances.map((i) => ({ name: i.project.name, file: i.file, inputs: i.project.inputs })), ws.app, ws.stage);
    const checked = new Map<string, CheckedSource>();
    for (const i of ws.instances) {
      const src = i.project.inputs.src as SourceInput | undefined;
      if (src !== undefined) checked.set(i.project.name, checkSourceEarly(ctx, i.dir, src));
    }
    const session = await openSession(ctx, { projectOrg: ws.org });
    const manifests = new Map<string, string>();
    for (const i of ws.instances) {
      const src = i.project.inputs.src as SourceInput | undefined;
      if (src === undefined) continue;
      ui.step(`${i.project.name}: ${i.file}`);
      const sent = await sendSource(ctx, session, i.project, i.dir, src, ui, checked.get(i.project.name));
      manifests.set(i.project.name, sent.manifestId);
    }
    const a = await runApp(ctx, session, ws, 'deploy', manifests, json, replace, options.refresh === true);
    const r = resultOf(ws, 'deploy', a, Date.now() - started);
    if (json) printJson(ctx, r);
    else printApp(ctx, r);
    return r.error ? 1 : 0;
  } catch (e) {
    if (json) {
      printJson(ctx, failure(ws, 'deploy', started, e));
      return 1;
    }
    throw e;
  }
}

export async function removeApp(ctx: CommandContext, ws: AppWorkspace, options: { json?: boolean | undefined }): Promise<number> {
  const started = Date.now();
  const json = options.json === true;
  try {
    appGraph(ws.instances.map((i) => ({ name: i.project.name, file: i.file, inputs: i.project.inputs })), ws.app, ws.stage);
    const session = await openSession(ctx, { projectOrg: ws.org });
    const a = await runApp(ctx, session, ws, 'remove', new Map(), json);
    const r = resultOf(ws, 'remove', a, Date.now() - started);
    if (json) printJson(ctx, r);
    else printApp(ctx, r);
    return r.error ? 1 : 0;
  } catch (e) {
    if (json) {
      printJson(ctx, failure(ws, 'remove', started, e));
      return 1;
    }
    throw e;
  }
}

/** `hangar info` at an app root: each instance of the app folder, deployed or not. */
export async function infoApp(ctx: CommandContext, ws: AppWorkspace, options: { json?: boolean | undefined }): Promise<number> {
  const session = await openSession(ctx, { projectOrg: ws.org });
  const { instances } = await session.client.call<typeof listInstances>('GET', '/api/v1/orgs/:orgId/instances', { params: { orgId: session.orgId } });
  const rows = ws.instances.map((i) => {
    const found = instances.find((x) => x.app === ws.app && x.stage === ws.stage && x.name === i.project.name);
    return { name: i.project.name, component: i.project.component, file: i.file, status: found?.status ?? 'not deployed', id: found?.id ?? null, outputs: found?.outputs ?? {}, lastDeployment: found?.lastDeployment ?? null };
  });
  if (options.json === true) {
    printJson(ctx, { app: ws.app, stage: ws.stage, instances: rows });
    return 0;
  }
  ctx.stdout.write(`app ${ws.app}/${ws.stage}: ${rows.length} instances\n`);
  for (const r of rows) {
    ctx.stdout.write(`${r.name} (${r.component}, ${r.file}) ${r.status}${r.id ? ` [${r.id}]` : ''}\n`);
    for (const [k, v] of Object.entries(r.outputs)) ctx.stdout.write(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
    if (r.lastDeployment?.error) ctx.stdout.write(`  last ${r.lastDeployment.action}: ${r.lastDeployment.error.code}: ${r.lastDeployment.error.message}\n`);
  }
  return 0;
}

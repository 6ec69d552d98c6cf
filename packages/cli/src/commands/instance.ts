/** `hangar remove`, `info` and `logs`: the instance this project file names, in the engine. */
import type { CommandContext } from '../context.js';
import { deploymentPath, waitForDeployment } from '../deploy/follow.js';
import { createUi, errorJson, printJson, reportError } from '../output.js';
import { loadProject, loadWorkspace } from '../project-file.js';
import { openSession, type Session } from '../session.js';
import type { ResolvedProject } from '@hangar/core';
import type { Instance, instanceByName, LogLine } from '@hangar/core/api';
import { deploymentError, printOutcome, runDeployment } from './deploy.js';


export interface StageOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
}

function fetchInstance(session: Session, p: ResolvedProject): Promise<Instance> {
  return session.client.call<typeof instanceByName>('GET', '/api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name', {
    params: { orgId: session.orgId, app: p.app, stage: p.stage, name: p.name },
  });
}

export async function remove(ctx: CommandContext, options: StageOptions = {}): Promise<number> {
  const started = Date.now();
  const json = options.json === true;
  try {
    const ws = loadWorkspace(ctx.cwd, ctx.env, options.stage);
    if (ws.kind === 'app') return await (await import('./app.js')).removeApp(ctx, ws, options);
    const { project } = ws;
    const session = await openSession(ctx, { projectOrg: project.org });
    const d = await runDeployment(ctx, session, project, 'remove', {}, json);
    const error = deploymentError(d);
    const durationMs = Date.now() - started;
    if (json) {
      printJson(ctx, { deploymentId: d.id, status: d.status, provider: d.provider ? { name: d.provider.name, roleArn: d.provider.roleArn } : null, durationMs, ...(error ? { error } : {}) });
    } else {
      printOutcome(ctx, d, durationMs);
      if (error) ctx.stderr.write(`✖ ${error.message} (${error.code})\n`);
    }
    return error ? 1 : 0;
  } catch (e) {
    if (json) {
      printJson(ctx, { deploymentId: null, status: 'failed', provider: null, durationMs: Date.now() - started, error: errorJson(e) });
      return 1;
    }
    return reportError(ctx, e, false);
  }
}

export async function info(ctx: CommandContext, options: StageOptions = {}): Promise<number> {
  const json = options.json === true;
  try {
    const ws = loadWorkspace(ctx.cwd, ctx.env, options.stage);
    if (ws.kind === 'app') return await (await import('./app.js')).infoApp(ctx, ws, options);
    const { project } = ws;
    const session = await openSession(ctx, { projectOrg: project.org });
    const ins = await fetchInstance(session, project);
    if (json) {
      printJson(ctx, ins);
      return 0;
    }
    const out = ctx.stdout;
    out.write(`${ins.app}/${ins.stage}/${ins.name} (${ins.component}) ${ins.status} [${ins.id}]\n`);
    for (const [k, v] of Object.entries(ins.outputs)) out.write(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
    const last = ins.lastDeployment;
    if (last) {
      out.write(`last ${last.action}: ${last.status} by ${last.actor} at ${last.createdAt}${last.durationMs !== null ? ` in ${(last.durationMs / 1000).toFixed(1)} s` : ''} (${last.id})\n`);
      if (last.error) out.write(`  ${last.error.code}: ${last.error.message}\n`);
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, json);
  }
}

export async function logs(ctx: CommandContext, options: StageOptions = {}): Promise<number> {
  try {
    const { project } = loadProject(ctx.cwd, ctx.env, options.stage);
    const session = await openSession(ctx, { projectOrg: project.org });
    const ins = await fetchInstance(session, project);
    const last = ins.lastDeployment;
    if (!last) {
      createUi(ctx).info(`${project.app}/${project.stage}/${project.name} has no deployments yet; run \`hangar deploy\`.`);
      return 0;
    }
    const line = (l: { level: string; message: string }) => ctx.stdout.write(`${l.level === 'info' ? '' : `[${l.level}] `}${l.message}\n`);
    createUi(ctx).step(`Logs of ${last.action} ${last.id} (${last.status})`);
    if (last.status === 'queued' || last.status === 'running') {
      // Followed to the end, resuming after the last line received if the stream drops.
      await waitForDeployment(session.client, session.orgId, last.id, { log: line });
      return 0;
    }
    const text = await session.client.text(`${deploymentPath(session.orgId, last.id)}/logs`);
    for (const row of text.split('\n')) {
      if (row.trim() === '') continue;
      line(JSON.parse(row) as LogLine);
    }
    return 0;
  } catch (e) {
    return reportError(ctx, e, false);
  }
}

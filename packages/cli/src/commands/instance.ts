/** `hangar remove`, `info` and `logs`: the instance this project file names, in the engine. */
import { HangarError } from '@hangar/core';
import type { CommandContext } from '../context.js';
import { deploymentPath, getDeploymentView, waitForDeployment } from '../deploy/follow.js';
import { createUi, errorJson, printJson, reportError } from '../output.js';
import { loadProject, loadWorkspace } from '../project-file.js';
import { openSession, type Session } from '../session.js';
import type { ResolvedProject } from '@hangar/core';
import type { FunctionHealth, FunctionLogEvent, Instance, instanceByName, instanceHealth, instanceLogs, LogLine } from '@hangar/core/api';
import { deploymentError, printOutcome, runDeployment } from './deploy.js';
import { followFunctionLogs } from './function-follow.js';
import { colorsFor, formatHealth, formatLogEvent, parseSince } from './function-render.js';

export interface StageOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
}

export function fetchInstance(session: Session, p: ResolvedProject): Promise<Instance> {
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

/** The function's health for `hangar info`; a function that is not deployed, or a summary the engine cannot give, does not fail info. */
export interface InfoHealth {
  readonly health: FunctionHealth | null;
  readonly healthError: { code: string; message: string } | null;
}

async function fetchHealth(session: Session, ins: Instance): Promise<InfoHealth> {
  if (ins.status === 'new' || ins.status === 'removed') return { health: null, healthError: null };
  try {
    const health = await session.client.call<typeof instanceHealth>('GET', '/api/v1/orgs/:orgId/instances/:instanceId/health', {
      params: { orgId: session.orgId, instanceId: ins.id }, query: { since: '1h' },
    });
    return { health, healthError: null };
  } catch (e) {
    return { health: null, healthError: errorJson(e) };
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
    const fn = await fetchHealth(session, ins);
    if (json) {
      printJson(ctx, { ...ins, ...fn });
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
    const c = colorsFor(out);
    if (fn.health) for (const l of formatHealth(fn.health, c)) out.write(`${l}\n`);
    else if (fn.healthError?.code === 'FUNCTION_NOT_DEPLOYED') out.write(`function: not deployed: ${fn.healthError.message}\n`);
    else if (fn.healthError && fn.healthError.code !== 'FUNCTION_UNSUPPORTED') out.write(`function: no health summary: ${fn.healthError.message} (${fn.healthError.code})\n`);
    else if (!fn.healthError) out.write(`function: not deployed${ins.status === 'removed' ? ' (removed)' : ''}; run \`hangar deploy\`\n`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, json);
  }
}

export interface LogsOptions extends StageOptions {
  /** `10m`, `2h`, `7d` or an ISO time; default 10m (the engine's). */
  readonly since?: string | undefined;
  readonly tail?: boolean | undefined;
  readonly filter?: string | undefined;
  /** A deployment's own log: the last deployment's (`true`) or this id's. */
  readonly deployment?: string | boolean | undefined;
  /** Ends `--tail` (Ctrl-C). Without one, `--tail` follows until the engine ends the stream for good. */
  readonly signal?: AbortSignal | undefined;
}

/** `hangar logs`: the function's runtime logs, or with `--deployment` a deployment's own log. */
export async function logs(ctx: CommandContext, options: LogsOptions = {}): Promise<number> {
  const json = options.json === true;
  try {
    const since = parseSince(options.since);
    if (options.filter !== undefined && options.filter.trim() === '') {
      throw new HangarError('VALIDATION_FAILED', '--filter: the pattern is empty; give a CloudWatch Logs filter pattern such as ERROR or "?ERROR ?Task timed out".', { details: { field: '--filter' } });
    }
    if (options.deployment !== undefined && options.deployment !== false && (since !== undefined || options.filter !== undefined || options.tail)) {
      throw new HangarError('VALIDATION_FAILED', '--deployment shows a deployment\'s own log, which --since, --filter and --tail do not apply to; drop them, or drop --deployment to see the function\'s logs.', { details: { field: '--deployment' } });
    }
    const { project } = loadProject(ctx.cwd, ctx.env, options.stage);
    const session = await openSession(ctx, { projectOrg: project.org });
    if (options.deployment !== undefined && options.deployment !== false) {
      return await deploymentLogs(ctx, session, project, typeof options.deployment === 'string' ? options.deployment : undefined, json);
    }
    const ins = await fetchInstance(session, project);
    const c = colorsFor(ctx.stdout);
    const print = (e: FunctionLogEvent) => ctx.stdout.write(json ? `${JSON.stringify(e)}\n` : formatLogEvent(e, c));
    const ui = createUi(ctx);
    if (options.tail) {
      const signal = options.signal ?? new AbortController().signal;
      await followFunctionLogs(session.client, session.orgId, ins.id, {
        since, filter: options.filter, signal, onEvent: print,
        onLive: (group) => ui.info(`following ${group} live (Ctrl-C to stop)`),
        onReconnect: (n, why, delay) => ui.warn(`log stream interrupted (${why}); reconnecting${n > 1 ? ` (attempt ${n})` : ''} in ${(delay / 1000).toFixed(1)} s`),
      });
      return 0;
    }
    const r = await session.client.call<typeof instanceLogs>('GET', '/api/v1/orgs/:orgId/instances/:instanceId/logs', {
      params: { orgId: session.orgId, instanceId: ins.id }, query: { since, filter: options.filter },
    });
    for (const e of r.events) print(e);
    if (r.events.length === 0) ui.info(`no log events in ${r.logGroup} since ${since ?? '10m'}${options.filter ? ` matching ${JSON.stringify(options.filter)}` : ''}`);
    if (r.truncated) ui.warn(`only the first ${r.events.length} events are shown; narrow with --since or --filter`);
    return 0;
  } catch (e) {
    return reportError(ctx, e, false);
  }
}

async function deploymentLogs(ctx: CommandContext, session: Session, project: ResolvedProject, id: string | undefined, json: boolean): Promise<number> {
  let target: { id: string; action: string; status: string };
  if (id !== undefined) target = await getDeploymentView(session.client, session.orgId, id);
  else {
    const last = (await fetchInstance(session, project)).lastDeployment;
    if (!last) {
      createUi(ctx).info(`${project.app}/${project.stage}/${project.name} has no deployments yet; run \`hangar deploy\`.`);
      return 0;
    }
    target = last;
  }
  const line = (l: { level: string; message: string }) => ctx.stdout.write(json ? `${JSON.stringify(l)}\n` : `${l.level === 'info' ? '' : `[${l.level}] `}${l.message}\n`);
  createUi(ctx).step(`Logs of ${target.action} ${target.id} (${target.status})`);
  if (target.status === 'queued' || target.status === 'running') {
    // Followed to the end, resuming after the last line received if the stream drops.
    await waitForDeployment(session.client, session.orgId, target.id, { log: line });
    return 0;
  }
  const text = await session.client.text(`${deploymentPath(session.orgId, target.id)}/logs`);
  for (const row of text.split('\n')) {
    if (row.trim() === '') continue;
    line(JSON.parse(row) as LogLine);
  }
  return 0;
}

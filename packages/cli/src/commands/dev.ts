/**
 * `hangar dev`: deploy, then watch the source and redeploy on every save (through the source
 * cache, so a save uploads one file), while the function's runtime logs stream into the same
 * terminal. Ctrl-C stops watching and leaves the instance deployed. `--json` prints one JSON
 * event per line (see docs/cli.md) for editors and other tools.
 */
import { relative, resolve } from 'node:path';
import pc from 'picocolors';
import { HangarError, isHangarError, type SourceInput } from '@hangar/core';
import type { FunctionLogEvent } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { errorJson, reportError } from '../output.js';
import { loadProject } from '../project-file.js';
import { openSession } from '../session.js';
import { checkSourceEarly, type CheckedSource } from '../source/send.js';
import { followFunctionLogs, type LogFollow } from '../dev/follow-function-logs.js';
import { createRedeployQueue, type Timers } from '../dev/redeploy-queue.js';
import { watchSource, type SourceWatcher, type WatchPlan } from '../dev/watch.js';
import { deployLoaded, type DeployTarget } from './deploy.js';

export interface DevOptions {
  readonly stage?: string | undefined;
  readonly json?: boolean | undefined;
  /** Quiet period after a change before deploying, in ms (a string from the command line). */
  readonly debounce?: string | undefined;
  /** `--no-logs` sets this false: only deploy and watch. */
  readonly logs?: boolean | undefined;
}

export interface DevDeps {
  readonly timers?: Timers;
}

export const DEFAULT_DEBOUNCE_MS = 100;

/** `--debounce`: whole milliseconds from 0 to 10000. */
export function parseDebounce(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DEBOUNCE_MS;
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!(n >= 0 && n <= 10_000)) {
    throw new HangarError('VALIDATION_FAILED', `--debounce: expected whole milliseconds from 0 to 10000, got "${value}". Leave it out for ${DEFAULT_DEBOUNCE_MS} ms.`, { details: { field: 'debounce', value } });
  }
  return n;
}

/** The folder to watch and what inside it never triggers a deploy. */
export function watchPlanFor(checked: CheckedSource, hangarHome: string): WatchPlan {
  const { plan } = checked;
  const root = plan.hook ? plan.hook.cwd : plan.root;
  const ignoredDirs = [...(checked.guard?.excludeDirs.keys() ?? [])].map((d) => resolve(plan.root, d));
  if (plan.hook && plan.root !== root) ignoredDirs.push(plan.root); // the hook writes dist: not a save
  ignoredDirs.push(hangarHome); // its hash cache is written by each deploy
  return { root, ignoredDirs };
}

/** The changed paths for a status line: `src/index.js`, or `src/a.js and 2 more`. */
export function describeChanges(paths: readonly string[]): string {
  if (paths.length === 0) return 'nothing';
  return paths.length === 1 ? paths[0]! : `${paths[0]} and ${paths.length - 1} more`;
}

/** Lambda's `2026-…Z\t<request id>\tINFO\tmessage` shortened to `INFO message`. */
export function formatLogLine(e: FunctionLogEvent): string {
  const m = /^\S+\t[0-9a-f-]{8,}\t(\w+)\t([\s\S]*)$/.exec(e.message);
  const text = (e.kind === 'report' ? formatReport(e.message) : m ? `${m[1]} ${m[2]}` : e.message).replace(/\s+$/, '');
  const time = e.ts.length >= 19 ? e.ts.slice(11, 19) : e.ts;
  return `${time}${e.requestId ? ` [${e.requestId.slice(0, 8)}]` : ''} ${text}`;
}

/** `REPORT RequestId: … Duration: 3.97 ms … Max Memory Used: 42 MB Init Duration: 63 ms` → `REPORT 3.97 ms · 42 MB · init 63 ms`. */
function formatReport(message: string): string {
  const field = (name: string) => new RegExp(`(?:^|\\t)${name}: ([\\d.]+ \\w+)`).exec(message)?.[1];
  const duration = field('Duration');
  if (duration === undefined) return message;
  const memory = field('Max Memory Used');
  const init = field('Init Duration');
  return ['REPORT', duration, ...(memory ? [`· ${memory}`] : []), ...(init ? [`· init ${init}`] : [])].join(' ');
}

export async function dev(ctx: CommandContext, options: DevOptions, untilStopped: () => Promise<void>, deps: DevDeps = {}): Promise<number> {
  const json = options.json === true;
  const c = pc.createColors(ctx.stderr.isTTY === true);
  const out = pc.createColors(ctx.stdout.isTTY === true);
  const emit = (event: Record<string, unknown>) => { if (json) ctx.stdout.write(`${JSON.stringify(event)}\n`); };
  const status = (text: string) => { if (!json) ctx.stderr.write(`${text}\n`); };

  let watcher: SourceWatcher | undefined;
  let follow: LogFollow | undefined;
  // Listened for from the start: a Ctrl-C during the first deploy stops too, after it.
  let stopRequested = false;
  const stopped = untilStopped().then(() => { stopRequested = true; });
  try {
    const debounceMs = parseDebounce(options.debounce);
    const { dir, project } = loadProject(ctx.cwd, ctx.env, options.stage);
    const src = project.inputs.src as SourceInput | undefined;
    if (src === undefined) {
      throw new HangarError('CLI_DEV_NO_SOURCE', `${project.app}/${project.stage}/${project.name} has no inputs.src, so there is nothing for \`hangar dev\` to watch; add inputs.src (the folder of the function's code), or use \`hangar deploy\`.`);
    }
    const checked = checkSourceEarly(ctx, dir, src);
    const session = await openSession(ctx, { projectOrg: project.org });
    const target: DeployTarget = { dir, project, session, checked };
    const label = `${project.app}/${project.stage}/${project.name}`;
    // Lines from before `hangar dev` started are not shown; a follow started again (after the
    // stream ended) goes on from the last line shown.
    let since = new Date().toISOString();
    const seenLogIds = new Set<string>();
    const showLogs = options.logs !== false;
    let lastOutputs = '';

    const startLogs = (instanceId: string) => {
      if (!showLogs || follow) return;
      const mine: LogFollow = followFunctionLogs({
        client: session.client, orgId: session.orgId, instanceId, since, seen: seenLogIds,
        ...(deps.timers ? { timers: deps.timers } : {}),
        onLive: (logGroup) => {
          emit({ event: 'logs-live', logGroup });
          status(c.dim(`  logs: following ${logGroup}`));
        },
        onLog: (e) => {
          since = e.ts;
          if (json) return emit({ event: 'log', data: e });
          if (e.kind === 'start' || e.kind === 'end') return; // a REPORT line closes each request
          const text = formatLogLine(e);
          ctx.stdout.write(`${e.kind === 'error' ? out.red(text) : e.kind === 'report' ? out.dim(text) : text}\n`);
        },
        onEnd: (error) => {
          if (follow === mine) follow = undefined; // followed again after the next good deploy
          emit({ event: 'logs-ended', error });
          status(`${c.yellow('!')} function logs stopped: ${error.message} ${c.dim(`(${error.code})`)}`);
        },
      });
      follow = mine;
    };

    const runDeploy = async (changed: readonly string[]): Promise<void> => {
      const rel = changed.map((p) => relative(dir, p).split('\\').join('/'));
      emit({ event: 'deploying', changed: rel });
      status(rel.length ? `${c.cyan('↻')} ${describeChanges(rel)} changed — deploying…` : `${c.cyan('•')} deploying ${label}…`);
      const t0 = performance.now();
      try {
        const { result, deployment } = await deployLoaded(ctx, target, true);
        const durationMs = Math.round(performance.now() - t0);
        if (result.error) {
          emit({ event: 'deploy-failed', deploymentId: result.deploymentId, durationMs, error: result.error });
          status(`${c.red('✖')} deploy failed: ${result.error.message} ${c.dim(`(${result.error.code})`)}`);
          return;
        }
        emit({ event: 'deployed', deploymentId: result.deploymentId, durationMs, outputs: result.outputs, upload: result.upload, timings: result.timings });
        status(`${c.green('✓')} deployed in ${(durationMs / 1000).toFixed(1)} s${rel.length ? '' : ` (${result.upload.uploadedFiles} of ${result.upload.files} files uploaded)`}`);
        const outputs = JSON.stringify(result.outputs);
        if (outputs !== lastOutputs) {
          lastOutputs = outputs;
          // The URL is what a developer opens; `hangar info` shows every output.
          const shown = typeof result.outputs.url === 'string' ? { url: result.outputs.url } : result.outputs;
          for (const [k, v] of Object.entries(shown)) status(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        }
        startLogs(deployment.instanceId);
      } catch (e) {
        emit({ event: 'deploy-failed', deploymentId: null, durationMs: Math.round(performance.now() - t0), error: errorJson(e) });
        if (isHangarError(e)) status(`${c.red('✖')} deploy failed: ${e.message} ${c.dim(`(${e.code})`)}`);
        else status(`${c.red('✖')} deploy failed (a Hangar CLI bug; please report it): ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    };

    const queue = createRedeployQueue({ debounceMs, run: runDeploy, ...(deps.timers ? { timers: deps.timers } : {}) });
    const plan = watchPlanFor(checked, session.home);
    watcher = await watchSource(plan, (p) => queue.changed(p), (e) => {
      const why = e instanceof Error ? e.message : String(e);
      emit({ event: 'watch-error', error: { code: 'CLI_DEV_WATCH_FAILED', message: why } });
      status(`${c.yellow('!')} watching ${plan.root} failed: ${why} (CLI_DEV_WATCH_FAILED); on Linux, raise fs.inotify.max_user_watches.`);
    }).catch((e: unknown) => {
      throw new HangarError('CLI_DEV_WATCH_FAILED', `Could not watch ${plan.root} (${e instanceof Error ? e.message : String(e)}); on Linux, raise fs.inotify.max_user_watches.`, { cause: e });
    });
    queue.deployNow();
    await Promise.race([queue.idle(), stopped]);
    if (!stopRequested) {
      const watchedRel = relative(ctx.cwd, plan.root) || '.';
      emit({ event: 'watching', path: watchedRel });
      status(c.dim(`  watching ${watchedRel}/ for changes — Ctrl-C to stop`));
      await stopped;
    }
    await watcher.close();
    watcher = undefined;
    if (queue.running) status(c.dim('  stopping after the running deploy…'));
    await queue.close();
    follow?.close();
    await follow?.done;
    emit({ event: 'stopped' });
    status(`${c.dim('•')} stopped; ${label} stays deployed (\`hangar remove\` removes it)`);
    return 0;
  } catch (e) {
    await watcher?.close();
    follow?.close();
    if (json) {
      emit({ event: 'error', error: errorJson(e) });
      return 1;
    }
    return reportError(ctx, e, false);
  }
}

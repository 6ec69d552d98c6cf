/**
 * Runs invocations: keeps warm sandboxes per function (reused while the function's code and
 * configuration are unchanged and the execution-role credentials are fresh), enforces the
 * timeout, writes START/END/REPORT and the function's output to CloudWatch Logs, and shapes
 * results and errors the way Lambda's Invoke answers them.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AwsError, type CloudRuntime } from '../../internal/contract.js';
import type { LogsApi } from '../../logs/index.js';
import { functionArn, functionKey, logGroupOf, type FunctionRecord } from '../model.js';
import { logStreamName, sandboxEnv, unsafeEnvNames } from './environment.js';
import { startSandbox, type FunctionErrorBody, type Sandbox } from './sandbox.js';

export interface InvokeResult {
  readonly requestId: string;
  /** The payload Invoke answers: the handler's JSON result or Lambda's error object. */
  readonly payload: string;
  readonly functionError?: 'Unhandled';
  /** The invocation's log lines (for `LogType: Tail`). */
  readonly logLines: readonly string[];
}

export interface InvokerDeps {
  readonly rt: CloudRuntime;
  readonly logs: LogsApi;
  /** The provided SDK's folder for NODE_PATH (`sdkRuntimeModules`), read when a sandbox starts. */
  readonly nodePath: () => string | undefined;
  /** How long an idle sandbox stays warm. */
  readonly idleMs: number;
  /** Absolute directory of a function's unpacked code. */
  readonly codeDir: (fn: FunctionRecord) => string;
  /** Absolute folder of a function's `/opt` (its merged layers, or its one layer's own folder), undefined without layers. */
  readonly optDir?: (fn: FunctionRecord) => string | undefined;
  /** What every sandbox may read besides its task root: the provided SDK (`sdkReadPaths`). */
  readonly runtimeReadPaths: readonly string[];
  /** Where each execution environment gets its own temp dir (default: the OS temp dir). */
  readonly tmpRoot?: string;
  /**
   * Execution environments per function at most (AWS allows 1,000 across an account; a laptop
   * cannot run that many Node processes). Further invocations wait for a free one.
   */
  readonly maxEnvironmentsPerFunction?: number;
}

interface WarmEnv {
  readonly key: string;
  readonly sandbox: Sandbox;
  readonly generation: number;
  readonly credentialsExpireAt: number;
  readonly stream: string;
  /** The environment's own temp dir (its TMPDIR), removed with it. */
  readonly tmpDir: string;
  /** The partial last line and the lines not yet written to Logs. */
  partial: string;
  pending: { timestamp: number; message: string }[];
  /** Collects the current invocation's lines for Tail. */
  capture?: string[];
  idleTimer?: NodeJS.Timeout;
}

const MAX_RESPONSE_BYTES = 6_291_556;
const INIT_TIMEOUT_MS = 10_000;

export interface Invoker {
  invoke(fn: FunctionRecord, event: string, opts?: { clientContext?: unknown }): Promise<InvokeResult>;
  /**
   * Stops the warm sandboxes of a function (after an update or delete). With `replace` (an update:
   * `fn` already holds the new code and configuration), a function that was warm gets one new
   * sandbox started right away, so the first request after a deploy finds it initialised.
   */
  retire(fn: FunctionRecord, opts?: { replace?: boolean }): void;
  close(): Promise<void>;
}

type Spawned = { env: WarmEnv; init: Awaited<Sandbox['ready']>; wallMs: number };

/**
 * A sandbox started for a function's new generation before any request asked for it. Once
 * initialised it joins the idle ones; an init that failed waits here for the first invocation,
 * which reports it (INIT_REPORT, the runtime's error), as if that invocation had started it.
 */
interface Prestart {
  readonly generation: number;
  /** Its environment (stopped at once when a later update supersedes it). */
  readonly env: WarmEnv;
  readonly started: Promise<Spawned>;
  /** The init's log lines (also written to the log group as they come), for the Tail of the invocation that reports a failed init. */
  readonly initLines: string[];
  /** An invocation took it while it was initialising, or took its failure. */
  claimed: boolean;
}

export function createInvoker(deps: InvokerDeps): Invoker {
  const { rt, logs } = deps;
  const idle = new Map<string, WarmEnv[]>();
  const all = new Set<WarmEnv>();
  const live = new Map<string, number>();
  const waiters = new Map<string, (() => void)[]>();
  const cap = deps.maxEnvironmentsPerFunction ?? 10;
  const wake = (key: string) => waiters.get(key)?.shift()?.();
  /** At most one pre-started sandbox per function. */
  const prestarts = new Map<string, Prestart>();
  const deferred = new Set<NodeJS.Immediate>();
  let closed = false;

  const scopeOf = (fn: FunctionRecord) => ({ accountId: fn.accountId, region: fn.region });
  const flush = (fn: FunctionRecord, env: WarmEnv) => {
    if (env.pending.length === 0) return;
    logs.write(scopeOf(fn), logGroupOf(fn.name), env.stream, env.pending);
    env.pending = [];
  };
  const line = (env: WarmEnv, message: string) => {
    env.pending.push({ timestamp: rt.now().getTime(), message });
    env.capture?.push(message);
  };
  const output = (env: WarmEnv, text: string) => {
    const parts = (env.partial + text).split('\n');
    env.partial = parts.pop() ?? '';
    for (const p of parts) line(env, p);
  };
  /** One whole event (a console call): newlines stay in it, as the runtime's telemetry channel keeps them. */
  const wholeEvent = (env: WarmEnv, text: string) => {
    if (env.partial) {
      line(env, env.partial);
      env.partial = '';
    }
    line(env, text);
  };
  const write = (env: WarmEnv, text: string, whole?: boolean) => (whole ? wholeEvent(env, text) : output(env, text));

  /** Starts a sandbox for `fn`: the environment at once (throws when the role cannot be assumed), and its init's outcome. */
  function startEnv(fn: FunctionRecord, capture: string[]): { env: WarmEnv; done: Promise<Spawned> } {
    const spawned = performance.now();
    const credentials = rt.identity.assumeRoleForService(fn.role, 'lambda.amazonaws.com', fn.name);
    const stream = logStreamName(rt.now());
    // Output can arrive before the environment record exists; it is replayed into it.
    const holder: { env?: WarmEnv } = {};
    const early: [string, boolean | undefined][] = [];
    const dropped = unsafeEnvNames(fn.environment);
    if (dropped.length > 0) {
      early.push([`${rt.now().toISOString()}\tundefined\tWARN\tThe local cloud did not pass the environment variables ${dropped.join(', ')} to this function: they could let it escape the sandbox.`, true]);
    }
    const taskRoot = deps.codeDir(fn);
    const tmpDir = mkdtempSync(join(deps.tmpRoot ?? tmpdir(), 'hangar-fn-'));
    // Layers: NODE_PATH as AWS's Node runtime sets it (`/opt/nodejs/node<major>/node_modules`,
    // `/opt/nodejs/node_modules`, then the provided SDK), and the `node_modules` link next to the
    // task root that ES modules resolve through (see ../layers.ts, mergeLayers).
    const opt = deps.optDir?.(fn);
    const major = /^nodejs(\d+)/.exec(fn.runtime)?.[1] ?? '20';
    const sdk = deps.nodePath();
    const nodePath = opt
      ? [join(opt, 'nodejs', `node${major}`, 'node_modules'), join(opt, 'nodejs', 'node_modules'), ...(sdk ? [sdk] : [])].join(':')
      : sdk;
    // `/opt` is the function's merged folder or, with one layer, that version's own folder; the
    // `node_modules` link sits in the function's folder, next to its task roots.
    const optReads = opt ? [opt, join(dirname(taskRoot), 'node_modules')] : [];
    const sandbox = startSandbox({
      cwd: taskRoot,
      env: sandboxEnv({ fn, taskRoot, tmpDir, credentials, logStream: stream, endpoint: rt.endpoint(), nodePath }),
      readPaths: [taskRoot, ...optReads, ...(sdk ? [sdk] : []), ...deps.runtimeReadPaths],
      writePaths: [tmpDir],
      memoryMb: fn.memorySize,
      initTimeoutMs: INIT_TIMEOUT_MS,
      onLog: (text, whole) => (holder.env ? write(holder.env, text, whole) : early.push([text, whole])),
    });
    const key = functionKey(fn.accountId, fn.region, fn.name);
    live.set(key, (live.get(key) ?? 0) + 1);
    // The invocation that starts an environment also gets its init lines in its Tail, as on AWS.
    const env: WarmEnv = { key, sandbox, generation: fn.generation, credentialsExpireAt: credentials.expiration.getTime(), stream, tmpDir, partial: '', pending: [], capture };
    holder.env = env;
    for (const [t, whole] of early) write(env, t, whole);
    all.add(env);
    return { env, done: sandbox.ready.then((init) => ({ env, init, wallMs: performance.now() - spawned })) };
  }

  const spawnEnv = (fn: FunctionRecord, capture: string[]): Promise<Spawned> => startEnv(fn, capture).done;

  /** Starts the new generation's sandbox ahead of the first request (see `retire`). */
  function prestart(fn: FunctionRecord, key: string): void {
    const initLines: string[] = [];
    let start: ReturnType<typeof startEnv> | undefined;
    try {
      start = startEnv(fn, initLines);
    } catch {
      return; // it cannot start (the role cannot be assumed...): the first invocation tries and reports why
    }
    const p: Prestart = { generation: fn.generation, env: start.env, initLines, claimed: false, started: start.done };
    prestarts.set(key, p);
    void p.started.then((s) => {
      if (p.claimed) return;
      s.env.capture = undefined;
      if (s.env.partial) output(s.env, '\n');
      flush(fn, s.env); // the init's lines go to the log group now, as they would on its start
      const current = prestarts.get(key) === p && !closed && fn.generation === p.generation;
      if (current && s.init.kind !== 'ready') {
        // Kept for the first invocation to report; the process is gone (or going).
        s.env.sandbox.kill();
        return;
      }
      if (prestarts.get(key) === p) prestarts.delete(key);
      if (current) release(fn, s.env);
      else discard(fn, s.env);
    });
  }

  /** The function's pre-started sandbox for its current generation, if any: the caller now owns it. */
  function claim(fn: FunctionRecord, key: string): Prestart | undefined {
    const p = prestarts.get(key);
    if (!p || p.generation !== fn.generation) return undefined;
    prestarts.delete(key);
    p.claimed = true;
    return p;
  }

  function take(fn: FunctionRecord): WarmEnv | undefined {
    const list = idle.get(functionKey(fn.accountId, fn.region, fn.name)) ?? [];
    while (list.length > 0) {
      const env = list.pop() as WarmEnv;
      clearTimeout(env.idleTimer);
      // Credentials are refreshed by starting a new environment a minute before they expire.
      if (env.sandbox.alive() && env.generation === fn.generation && env.credentialsExpireAt - rt.now().getTime() > 60_000) return env;
      discard(fn, env);
    }
    return undefined;
  }

  function discard(fn: FunctionRecord, env: WarmEnv) {
    clearTimeout(env.idleTimer);
    env.sandbox.kill();
    removeTmp(env);
    if (env.partial) output(env, '\n');
    flush(fn, env);
    if (all.delete(env)) {
      live.set(env.key, (live.get(env.key) ?? 1) - 1);
      wake(env.key);
    }
  }

  function release(fn: FunctionRecord, env: WarmEnv) {
    if (!env.sandbox.alive() || env.generation !== fn.generation) return discard(fn, env);
    const key = functionKey(fn.accountId, fn.region, fn.name);
    const list = idle.get(key) ?? [];
    idle.set(key, list);
    list.push(env);
    wake(key);
    env.idleTimer = setTimeout(() => {
      const i = list.indexOf(env);
      if (i >= 0) list.splice(i, 1);
      discard(fn, env);
    }, deps.idleMs);
    env.idleTimer.unref();
  }

  async function invoke(fn: FunctionRecord, event: string, opts: { clientContext?: unknown } = {}): Promise<InvokeResult> {
    const requestId = randomUUID();
    const key = functionKey(fn.accountId, fn.region, fn.name);
    const stopping = () => new AwsError('ServiceException', 'The local cloud is stopping.', 500);
    if (closed) throw stopping();
    let env = take(fn);
    // A sandbox started for this code before the request (after an update): wait for its init.
    const pre = env ? undefined : claim(fn, key);
    const prestarted = pre ? await pre.started : undefined;
    while (!env && !prestarted && (live.get(key) ?? 0) >= cap) {
      await new Promise<void>((resolve) => {
        const list = waiters.get(key) ?? [];
        waiters.set(key, list);
        list.push(resolve);
      });
      if (closed) throw stopping();
      env = take(fn);
    }
    let initMs: number | undefined;
    let failure: FunctionErrorBody | undefined;
    /** REPORT's `Status: …` and `Error Type: …` fields, when the runtime failed (not the handler). */
    let status: string[] = [];
    const timeoutBody = (): FunctionErrorBody => ({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeout.toFixed(2)} seconds`,
    });
    const capture: string[] = [];
    if (env) {
      env.capture = capture;
    } else {
      if (prestarted) {
        // The Tail of the invocation that waited for its init (or reports its failure) gets the
        // init's lines, as for an environment it started (the log group has them either way).
        capture.push(...(pre?.initLines ?? []));
        prestarted.env.capture = capture;
      }
      const spawned = prestarted ?? await spawnEnv(fn, capture);
      env = spawned.env;
      const init = spawned.init;
      if (init.kind === 'ready') {
        // Initialised before this request: no Init Duration, as for a pre-provisioned environment.
        if (!prestarted) initMs = init.initMs;
      } else {
        // AWS reports a failed init on its own line before the invocation's START.
        if (init.kind === 'error') failure = init.error;
        else if (init.kind === 'timeout') failure = timeoutBody();
        else failure = exitError(requestId, init);
        const ms = init.kind === 'error' ? init.initMs : spawned.wallMs;
        status = init.kind === 'timeout' ? ['Status: timeout'] : ['Status: error', `Error Type: ${failure.errorType}`];
        if (env.partial) output(env, '\n');
        line(env, [`INIT_REPORT Init Duration: ${ms.toFixed(2)} ms`, 'Phase: init', ...status].join('\t'));
      }
    }
    line(env, `START RequestId: ${requestId} Version: $LATEST`);
    const started = performance.now();
    let payload: string;
    let functionError: 'Unhandled' | undefined;
    let maxRssKb = 0;
    let broken = false;
    if (failure) {
      payload = JSON.stringify(failure);
      functionError = 'Unhandled';
    } else {
      const outcome = await env.sandbox.invoke({ requestId, event, invokedFunctionArn: functionArn(fn), clientContext: opts.clientContext }, fn.timeout * 1000);
      if (outcome.kind === 'ok' && Buffer.byteLength(outcome.payload) > MAX_RESPONSE_BYTES) {
        payload = JSON.stringify({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).` });
        functionError = 'Unhandled';
        maxRssKb = outcome.maxRssKb;
      } else if (outcome.kind === 'ok') {
        payload = outcome.payload;
        maxRssKb = outcome.maxRssKb;
      } else if (outcome.kind === 'error') {
        payload = JSON.stringify(outcome.error);
        functionError = 'Unhandled';
        maxRssKb = outcome.maxRssKb;
      } else if (outcome.kind === 'timeout') {
        payload = JSON.stringify(timeoutBody());
        functionError = 'Unhandled';
        if (env.partial) output(env, '\n');
        line(env, `${rt.now().toISOString()} ${requestId} Task timed out after ${fn.timeout.toFixed(2)} seconds`);
        status = ['Status: timeout'];
        broken = true;
      } else {
        const body = exitError(requestId, outcome);
        payload = JSON.stringify(body);
        functionError = 'Unhandled';
        status = ['Status: error', `Error Type: ${body.errorType}`];
        broken = true;
      }
    }
    const duration = performance.now() - started;
    if (env.partial) output(env, '\n');
    line(env, `END RequestId: ${requestId}`);
    // AWS's REPORT: tab-separated fields, a trailing tab unless a Status closes it.
    const report = [
      `REPORT RequestId: ${requestId}`, `Duration: ${duration.toFixed(2)} ms`, `Billed Duration: ${Math.max(1, Math.ceil(duration))} ms`,
      `Memory Size: ${fn.memorySize} MB`, `Max Memory Used: ${Math.max(1, Math.round(maxRssKb / 1024))} MB`,
      ...(initMs !== undefined ? [`Init Duration: ${initMs.toFixed(2)} ms`] : []),
      ...status,
    ].join('\t');
    line(env, status.length ? report : `${report}\t`);
    env.capture = undefined;
    flush(fn, env);
    if (failure || broken) discard(fn, env);
    else release(fn, env);
    return { requestId, payload, ...(functionError ? { functionError } : {}), logLines: capture };
  }

  return {
    invoke,
    retire(fn, opts = {}) {
      const key = functionKey(fn.accountId, fn.region, fn.name);
      // Warm: it has a sandbox (idle, busy, or itself pre-started for an earlier update).
      const warm = prestarts.has(key) || [...all].some((e) => e.key === key);
      for (const env of idle.get(key) ?? []) discard(fn, env);
      idle.delete(key);
      const old = prestarts.get(key);
      if (old) {
        // Superseded (still initialising, or a failure waiting to be reported): stopped now.
        prestarts.delete(key);
        discard(fn, old.env);
      }
      if (!opts.replace || !warm) return;
      // Spawned once the update's answer is on its way (spawning a process takes the event loop a
      // while), unless a request already started one for this generation or a later update came.
      const generation = fn.generation;
      const t = setImmediate(() => {
        deferred.delete(t);
        if (closed || fn.generation !== generation || prestarts.has(key) || (live.get(key) ?? 0) >= cap) return;
        if ([...all].some((e) => e.key === key && e.generation === generation)) return;
        prestart(fn, key);
      });
      deferred.add(t);
    },
    async close() {
      closed = true;
      for (const t of deferred) clearImmediate(t);
      deferred.clear();
      prestarts.clear();
      for (const env of all) {
        clearTimeout(env.idleTimer);
        env.sandbox.kill();
        removeTmp(env);
      }
      all.clear();
      idle.clear();
      live.clear();
      for (const list of waiters.values()) for (const w of list) w();
      waiters.clear();
    },
  };
}

/** The process may still be exiting; what it left in its temp dir goes now (retried by rm itself). */
function removeTmp(env: WarmEnv): void {
  try {
    rmSync(env.tmpDir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // A leftover temp folder is not worth failing an invocation for.
  }
}

function exitError(requestId: string, e: { code: number | null; signal: NodeJS.Signals | null; oom: boolean }): FunctionErrorBody {
  const how = e.oom ? 'signal: killed' : e.signal ? `signal: ${e.signal === 'SIGKILL' ? 'killed' : e.signal.replace(/^SIG/, '').toLowerCase()}` : `exit status ${e.code ?? 1}`;
  return { errorType: e.oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}` };
}

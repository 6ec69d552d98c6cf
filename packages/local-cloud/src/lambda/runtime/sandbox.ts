/**
 * One execution environment: a Node child process running BOOTSTRAP, serving one invocation at a
 * time over IPC. Its environment is exactly what the caller passes (never the server's own), and
 * it runs under Node's permission model: it reads only `readPaths` (its task root, the provided
 * AWS SDK), writes only `writePaths` (its own temp dir), and may not start processes or workers,
 * load native addons, open the inspector or use WASI. See ../README.md, "The sandbox".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BOOTSTRAP } from './bootstrap.js';

export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeOutcome =
  | { kind: 'ok'; payload: string; maxRssKb: number }
  | { kind: 'error'; error: FunctionErrorBody; maxRssKb: number }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; oom: boolean };

export type InitOutcome =
  | { kind: 'ready'; initMs: number }
  | { kind: 'error'; error: FunctionErrorBody; initMs: number }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; oom: boolean };

export interface SandboxOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Absolute paths (files or folders) the function may read. */
  readonly readPaths: readonly string[];
  /** Absolute folders the function may write (and read). */
  readonly writePaths: readonly string[];
  readonly memoryMb: number;
  /**
   * Everything the function writes, in order; the owner routes it to the current log stream.
   * `whole`: one complete log event (a console call, newlines and all); otherwise raw output,
   * one event per line.
   */
  readonly onLog: (text: string, whole?: boolean) => void;
  readonly initTimeoutMs: number;
}

export interface Sandbox {
  readonly pid: number | undefined;
  readonly ready: Promise<InitOutcome>;
  invoke(msg: { requestId: string; event: string; invokedFunctionArn: string; clientContext?: unknown }, timeoutMs: number): Promise<InvokeOutcome>;
  alive(): boolean;
  kill(): void;
}

/**
 * Node's flags for a sandbox. Without `--allow-child-process`, `--allow-worker` (and, on Node 20,
 * with no way to allow them) child processes, workers, WASI, the inspector and native addons
 * are refused with ERR_ACCESS_DENIED / ERR_DLOPEN_DISABLED.
 */
export function sandboxFlags(opts: Pick<SandboxOptions, 'readPaths' | 'writePaths' | 'memoryMb'>): string[] {
  for (const p of [...opts.readPaths, ...opts.writePaths]) {
    // A relative grant would be resolved against the child's cwd. (A comma in a path is taken
    // whole by Node 20.20, with a warning; older Node 20 split it, granting less, never more.)
    if (!p.startsWith('/')) throw new Error(`A sandbox path must be absolute: ${JSON.stringify(p)}`);
  }
  return [
    '--experimental-permission',
    ...[...opts.readPaths, ...opts.writePaths].map((p) => `--allow-fs-read=${p}`),
    ...opts.writePaths.map((p) => `--allow-fs-write=${p}`),
    '--no-addons',
    // The permission model announces itself on every start; the function's logs are not the place.
    '--disable-warning=ExperimentalWarning',
    `--max-old-space-size=${opts.memoryMb}`,
  ];
}

export function startSandbox(opts: SandboxOptions): Sandbox {
  const child: ChildProcess = spawn(process.execPath, [...sandboxFlags(opts), '-e', BOOTSTRAP], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let exited = false;
  let doomed = false;
  let stderrTail = '';
  let onMessage: ((m: Record<string, unknown>) => void) | undefined;
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;

  // Writes that bypass process.stdout (native code, fs.writeSync(1)) still reach the logs.
  child.stdout?.on('data', (d: Buffer) => opts.onLog(d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => {
    const s = d.toString('utf8');
    stderrTail = (stderrTail + s).slice(-2000);
    opts.onLog(s);
  });
  child.on('message', (m) => {
    const msg = m as Record<string, unknown>;
    if (msg.t === 'log') opts.onLog(String(msg.text));
    else if (msg.t === 'event') opts.onLog(String(msg.text), true);
    else onMessage?.(msg);
  });
  child.on('exit', (code, signal) => {
    exited = true;
    onExit?.(code, signal);
  });
  child.on('error', () => {
    exited = true;
    onExit?.(null, null);
  });
  const oom = () => /heap out of memory|Allocation failed/i.test(stderrTail);

  const ready = new Promise<InitOutcome>((resolve) => {
    const timer = setTimeout(() => {
      doomed = true;
      child.kill('SIGKILL');
      resolve({ kind: 'timeout' });
    }, opts.initTimeoutMs);
    onMessage = (m) => {
      if (m.t === 'ready') {
        clearTimeout(timer);
        resolve({ kind: 'ready', initMs: Number(m.initMs) });
      } else if (m.t === 'init-error') {
        clearTimeout(timer);
        resolve({ kind: 'error', error: m.error as FunctionErrorBody, initMs: Number(m.initMs ?? 0) });
        child.kill('SIGKILL');
      }
    };
    onExit = (code, signal) => {
      clearTimeout(timer);
      resolve({ kind: 'exit', code, signal, oom: oom() });
    };
  });

  return {
    pid: child.pid,
    ready,
    alive: () => !exited && !doomed && child.connected,
    kill() {
      doomed = true;
      if (!exited) child.kill('SIGKILL');
    },
    invoke(msg, timeoutMs) {
      return new Promise<InvokeOutcome>((resolve) => {
        if (exited || !child.connected) {
          resolve({ kind: 'exit', code: child.exitCode, signal: child.signalCode, oom: oom() });
          return;
        }
        const timer = setTimeout(() => {
          doomed = true;
          child.kill('SIGKILL');
          resolve({ kind: 'timeout' });
        }, timeoutMs);
        onMessage = (m) => {
          if (m.t !== 'result' || m.requestId !== msg.requestId) return;
          clearTimeout(timer);
          if (m.fatal) doomed = true;
          const maxRssKb = Number(m.maxRssKb ?? 0);
          resolve(m.error ? { kind: 'error', error: m.error as FunctionErrorBody, maxRssKb } : { kind: 'ok', payload: String(m.payload), maxRssKb });
        };
        onExit = (code, signal) => {
          clearTimeout(timer);
          resolve({ kind: 'exit', code, signal, oom: oom() });
        };
        child.send({ t: 'invoke', ...msg, timeoutMs });
      });
    },
  };
}

/**
 * One execution environment: a Node child process running BOOTSTRAP, serving one invocation at a
 * time over IPC. Its environment is exactly what the caller passes (never the server's own).
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
  | { kind: 'error'; error: FunctionErrorBody }
  | { kind: 'timeout' }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; oom: boolean };

export interface SandboxOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly memoryMb: number;
  /** Everything the function writes, in order; the owner routes it to the current log stream. */
  readonly onLog: (text: string) => void;
  readonly initTimeoutMs: number;
}

export interface Sandbox {
  readonly pid: number | undefined;
  readonly ready: Promise<InitOutcome>;
  invoke(msg: { requestId: string; event: string; invokedFunctionArn: string; clientContext?: unknown }, timeoutMs: number): Promise<InvokeOutcome>;
  alive(): boolean;
  kill(): void;
}

export function startSandbox(opts: SandboxOptions): Sandbox {
  const child: ChildProcess = spawn(process.execPath, [`--max-old-space-size=${opts.memoryMb}`, '-e', BOOTSTRAP], {
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
        resolve({ kind: 'error', error: m.error as FunctionErrorBody });
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

/** Running real commands in the e2e tests (npm, npx, git, the built binaries) and collecting their output. */
import { spawn } from 'node:child_process';

export interface RunResult { readonly code: number | null; readonly out: string; readonly err: string }

/** This process's environment without npm's own `npm_*` variables (so a nested npm is not steered by the outer one), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** Runs a command to its end; never rejects on a non-zero exit (the caller asserts on `code`). */
export function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = cleanEnv()): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

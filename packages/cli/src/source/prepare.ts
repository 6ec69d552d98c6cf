/**
 * Where the code to upload lives: `inputs.src` as a folder, or `{ src, hook, dist }`: run `hook`
 * (a shell command) in `src` first, then upload `dist`. The hook gets the CLI's filtered
 * environment, which holds no cloud credentials.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { HangarError, type SourceInput } from '@hangar/core';
import type { Output } from '../context.js';

export interface SourcePlan {
  /** The folder whose files are uploaded. */
  readonly root: string;
  readonly hook?: { readonly command: string; readonly cwd: string };
}

export function planSource(projectDir: string, src: SourceInput): SourcePlan {
  if (typeof src === 'string') return { root: resolve(projectDir, src) };
  const cwd = resolve(projectDir, src.src);
  const root = src.dist === undefined ? cwd : resolve(projectDir, src.dist);
  return src.hook === undefined ? { root } : { root, hook: { command: src.hook, cwd } };
}

export function checkFolder(path: string, field: string): void {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s?.isDirectory()) {
    throw new HangarError('CLI_SOURCE_NOT_FOUND', `${field}: expected a folder, but ${path} ${s ? 'is not a folder' : 'does not exist'}.`);
  }
}

export async function runHook(hook: { command: string; cwd: string }, env: Readonly<Record<string, string>>, log: Output): Promise<void> {
  checkFolder(hook.cwd, 'inputs.src.src');
  const code = await new Promise<number>((done, fail) => {
    const child = spawn(hook.command, { cwd: hook.cwd, env, shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => log.write(d.toString()));
    child.stderr.on('data', (d: Buffer) => log.write(d.toString()));
    child.on('error', fail);
    child.on('close', (c) => done(c ?? 1));
  });
  if (code !== 0) {
    throw new HangarError('CLI_HOOK_FAILED', `inputs.src.hook: \`${hook.command}\` failed with exit code ${code} in ${hook.cwd}; fix the build and deploy again.`);
  }
}

/** Test helpers: captured output streams, a temporary project, and a context for commands. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext, Output } from '../context.js';

export interface Captured extends Output {
  text(): string;
}

export function capture(): Captured {
  let buf = '';
  return { write: (s: string) => { buf += s; return true; }, text: () => buf, isTTY: false };
}

export interface TempProject {
  readonly dir: string;
  readonly home: string;
  write(path: string, text: string): void;
  cleanup(): void;
}

export function tempProject(yml?: string): TempProject {
  const base = mkdtempSync(join(tmpdir(), 'hangar-cli-'));
  const dir = join(base, 'project');
  const home = join(base, 'home', '.hangar');
  const write = (p: string, text: string) => {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  };
  write('hangar.yml', yml ?? 'component: http-function\nname: api\napp: shop\ninputs:\n  src: ./src\n  handler: index.handler\n  env:\n    STAGE: ${stage}\n');
  write('src/index.mjs', 'export const handler = async () => ({ statusCode: 200, body: "hello from hangar" });\n');
  write('src/lib/a.js', 'export const a = 1;\n');
  write('src/node_modules/dep/index.js', 'module.exports = "dep";\n');
  write('src/node_modules/dep/package.json', '{"name":"dep","version":"1.0.0"}\n');
  write('src/.env', 'DB_PASSWORD=canary-dotenv-0001\n');
  return { dir, home, write, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export interface TestContext extends CommandContext {
  readonly stdout: Captured;
  readonly stderr: Captured;
}

export function testContext(cwd: string, env: Record<string, string | undefined>): TestContext {
  return { cwd, env, stdout: capture(), stderr: capture() };
}

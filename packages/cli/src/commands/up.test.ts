/**
 * `hangar up` as a person runs it: the real `hangar` process (from source), loading @hangar/local
 * only when `up` runs. HANGAR_PORT is honoured, the engine's log lands in <data-dir>/engine.log,
 * a port in use is explained (not "Hangar CLI bug"), and without @hangar/local the CLI says how
 * to install it. Also `--version` / `-V`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testContext } from '../testing/helpers.js';
import { up, NOT_INSTALLED, type LocalPackage } from './up.js';
import type * as Local from '@hangar/local';

// Compile time: the CLI's view of @hangar/local (it loads it by a dynamic import) is the real one.
export const localMatchesTheCliView: LocalPackage['up'] = null as unknown as typeof Local.up;

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hangar-up-'));
  dirs.push(d);
  return d;
}

/** Runs `hangar ARGS` in a child process, TypeScript loaded by tsx, workspaces resolved to their sources. */
function hangar(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    // A variable given as undefined is left out of the child's environment.
    const merged = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env };
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, ...args], {
      cwd: repo,
      env: Object.fromEntries(Object.entries(merged).filter((kv): kv is [string, string] => kv[1] !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** A port held by another listener for the test's duration. */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return { port: (server.address() as { port: number }).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await holdPort();
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

test('hangar --version and -V print the version of the CLI package', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await hangar([flag], {});
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), version);
  }
});

test('hangar up --help names HANGAR_PORT and the engine log', async () => {
  const r = await hangar(['up', '--help'], {});
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /HANGAR_PORT/);
  assert.match(r.out, /engine\.log/);
});

test('hangar up honours HANGAR_PORT and writes the engine log (JSON lines) to <data-dir>/engine.log', { timeout: 180_000 }, async () => {
  const home = tempDir();
  const port = await freePort();
  // Run as a person would, without the variable that silences the AWS SDK's Node 22 notice.
  const r = await hangar(['up', '--exit', '--cloud-port', '0'], { HANGAR_HOME: home, HANGAR_PORT: String(port), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
  assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  assert.ok(!r.err.includes('NodeVersionSupportWarning'), `no AWS SDK Node-version warning on the terminal (as hangar-engine):\n${r.err}`);
  assert.match(r.out, new RegExp(`Engine {5}http://127\\.0\\.0\\.1:${port}\\b`));
  const log = join(home, 'local', 'engine.log');
  assert.ok(r.out.includes(log), `the startup output says where the log is:\n${r.out}`);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.ok(lines.length > 0);
  const records = lines.map((l) => JSON.parse(l) as { msg?: unknown; level?: unknown });
  assert.ok(records.every((rec) => typeof rec.msg === 'string' && rec.level !== undefined), 'every line is a JSON log record');
  assert.ok(!r.err.includes('"msg"'), 'the engine log is not printed on the terminal');
  // The owner token printed once must not be in the log.
  const token = /hgr_[A-Za-z0-9_-]{20,}/.exec(r.out)?.[0];
  assert.ok(token, 'the owner token is printed on first start');
  assert.ok(!readFileSync(log, 'utf8').includes(token));
});

test('HANGAR_PORT with a bad value is named with the fix', async () => {
  const r = await hangar(['up', '--exit'], { HANGAR_HOME: tempDir(), HANGAR_PORT: 'abc' });
  assert.equal(r.code, 2);
  assert.match(r.err, /HANGAR_PORT: expected a port from 0 to 65535, got "abc"/);
});

test('hangar up on a port in use explains it instead of reporting a CLI bug', { timeout: 180_000 }, async () => {
  const held = await holdPort();
  try {
    const engine = await hangar(['up', '--exit', '--port', String(held.port), '--cloud-port', '0'], { HANGAR_HOME: tempDir() });
    assert.equal(engine.code, 1, `${engine.out}\n${engine.err}`);
    assert.ok(engine.err.includes(`port ${held.port} is in use — another \`hangar up\`? use --port or HANGAR_PORT`), engine.err);
    assert.doesNotMatch(engine.err, /Hangar CLI bug|at .*\.ts:\d+/);

    const cloud = await hangar(['up', '--exit', '--port', '0', '--cloud-port', String(held.port)], { HANGAR_HOME: tempDir() });
    assert.equal(cloud.code, 1, `${cloud.out}\n${cloud.err}`);
    assert.ok(cloud.err.includes(`port ${held.port} (the local cloud's) is in use`), cloud.err);
    assert.doesNotMatch(cloud.err, /Hangar CLI bug|at .*\.ts:\d+/);
  } finally {
    await new Promise<void>((res) => held.server.close(() => res()));
  }
});

test('a second hangar up on the same data dir stops at once, naming the first, instead of reporting a CLI bug', { timeout: 180_000 }, async () => {
  const home = tempDir();
  const { lockDataDir } = await import('@hangar/local');
  const first = lockDataDir(join(home, 'local')); // what a running `hangar up` holds
  try {
    const second = await hangar(['up', '--exit', '--port', '0'], { HANGAR_HOME: home });
    assert.equal(second.code, 1, `${second.out}\n${second.err}`);
    assert.match(second.err, new RegExp(`Another Hangar engine is using the data dir .*process ${process.pid}.*--data-dir.*ENGINE_DATA_DIR_LOCKED`));
    assert.doesNotMatch(second.err, /Hangar CLI bug|at .*\.ts:\d+/);
    assert.ok(!existsSync(join(home, 'local', 'cloud')), 'no cloud was started on the locked data dir');
  } finally {
    first.release();
  }
});

test('without @hangar/local, hangar up says how to install it and exits non-zero', async () => {
  const ctx = testContext(tempDir(), {});
  const code = await up(ctx, { exit: true }, async () => {}, '@hangar/local-not-installed');
  assert.equal(code, 1);
  assert.equal(ctx.stderr.text(), NOT_INSTALLED);
  assert.match(NOT_INSTALLED, /npm install @hangar\/local/);
  assert.ok(!existsSync(join(ctx.cwd, 'local')), 'nothing written');
});

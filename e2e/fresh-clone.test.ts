/**
 * The README's quick start on a fresh clone: `git clone`, the README's install command (`npm ci`),
 * then `npx hangar --version` and the README's `npx hangar up`. npm links workspace bins before
 * `prepare` builds dist/, so every bin must point at a committed file (packages/<pkg>/bin/*.js).
 *
 * What is cloned: the committed HEAD of the repository this file is in (found with
 * `git rev-parse --show-toplevel` / `HEAD` from this folder), checked out detached in a temp
 * folder; uncommitted changes are not part of it. Slow (a full `npm ci` with its build: minutes),
 * so it runs only with HANGAR_TEST_FRESH_CLONE=1 (`.ci/run` sets it).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, run } from './processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const enabled = process.env.HANGAR_TEST_FRESH_CLONE === '1';
const work = enabled ? mkdtempSync(join(tmpdir(), 'hangar-fresh-clone-')) : '';
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** Runs a command and fails the test unless it exits 0; returns its stdout. */
async function ok(cmd: string, args: string[], cwd: string, env?: Record<string, string>): Promise<string> {
  const r = await run(cmd, args, cwd, env);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}\n${r.out.slice(-3000)}\n${r.err.slice(-3000)}`);
  return r.out;
}

test('on a fresh clone, `npm ci` then `npx hangar --version` and `npx hangar up` work', {
  skip: enabled ? false : 'slow (a fresh clone and a full npm ci): set HANGAR_TEST_FRESH_CLONE=1 to run it',
  timeout: 40 * 60_000,
}, async () => {
  const root = (await ok('git', ['rev-parse', '--show-toplevel'], here)).trim();
  const head = (await ok('git', ['rev-parse', 'HEAD'], root)).trim();
  const clone = join(work, 'hangar');
  await ok('git', ['clone', '--quiet', '--no-checkout', root, clone], work);
  await ok('git', ['checkout', '--quiet', '--detach', head], clone);
  assert.ok(!existsSync(join(clone, 'node_modules')) && !existsSync(join(clone, 'packages', 'cli', 'dist')), 'a clean clone');

  await ok('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], clone);

  for (const bin of ['hangar', 'hangar-cloud', 'hangar-engine']) {
    assert.ok(existsSync(join(clone, 'node_modules', '.bin', bin)), `npm linked the ${bin} bin`);
  }
  const { version } = JSON.parse(readFileSync(join(clone, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string };
  assert.equal((await ok('npx', ['hangar', '--version'], clone)).trim(), version);
  assert.equal((await ok('npx', ['hangar', '-V'], clone)).trim(), version);
  assert.match(await ok('npx', ['hangar', '--help'], clone), /deploy/);

  // The README's first "Using it" line, on free ports and a temp home, stopping after setup.
  const home = join(work, 'home');
  const up = await ok('npx', ['hangar', 'up', '--port', '0', '--exit'], clone, cleanEnv({ HANGAR_HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }));
  assert.match(up, /Engine {5}http:\/\/127\.0\.0\.1:\d+/);
  assert.ok(existsSync(join(home, 'config.json')), 'the CLI is logged in');
});

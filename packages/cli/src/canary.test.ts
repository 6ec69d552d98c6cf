/**
 * The CLI side of the canary test: plant fake cloud credentials everywhere a careless CLI would
 * look (~/.aws/credentials and config in a temporary HOME, AWS_* variables, a project .env),
 * run the built `hangar` binary (the bundle bin/hangar.js starts) against a fake engine, and assert no canary reached the engine,
 * the uploaded files or the output, and that the CLI never even opened those files.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeEngine, type FakeEngine } from './testing/fake-engine.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
// The bin a user runs: the shim, which starts the one-file bundle (made below) that `npx hangar` runs.
const bin = join(repo, 'packages/cli/bin/hangar.js');
const CANARIES = {
  key: 'AKIACANARY0000000001',
  secret: 'canary-secret-wJalrXUtnFEMI-K7MDENG',
  session: 'canary-session-token-FwoGZXIvYXdzEJr',
  profile: 'canary-profile',
  fileKey: 'AKIACANARYFILE000002',
  fileSecret: 'canary-file-secret-9d8f7g6h',
  configRole: 'arn:aws:iam::999999999999:role/canary-config-role',
  dotenv: 'canary-dotenv-password-0003',
};

let engine: FakeEngine;
let base: string;

before(async () => {
  // The binary, built from the current sources. `tsc -b` is incremental: when the build is up to
  // date (as after `npm test`'s build) it writes nothing, so other tests running the binary at the
  // same time never see a half-written file. If another package's work in progress does not
  // compile, build just core and the CLI.
  try {
    execFileSync('npx', ['tsc', '-b', 'packages/cli'], { cwd: repo, stdio: 'pipe' });
  } catch {
    execFileSync('npx', ['tsc', '-b', 'packages/core'], { cwd: repo, stdio: 'pipe' });
    execFileSync('npx', ['tsc', '-p', 'packages/cli'], { cwd: repo, stdio: 'pipe' });
  }
  execFileSync(process.execPath, [join(repo, 'packages/cli/scripts/bundle.mjs')], { stdio: 'pipe' });
  engine = await startFakeEngine();
  base = mkdtempSync(join(tmpdir(), 'hangar-canary-'));
});
after(async () => {
  await engine.close();
  rmSync(base, { recursive: true, force: true });
});

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A preload that records every path the process passes to the fs module. */
function fsSpy(logFile: string): string {
  const file = join(base, 'fs-spy.mjs');
  writeFileSync(file, `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const log = ${JSON.stringify(logFile)};
const append = fs.appendFileSync;
let busy = false;
const seen = (p) => {
  if (busy || !(typeof p === 'string' || p instanceof URL)) return;
  busy = true;
  try { append(log, String(p) + '\\n'); } finally { busy = false; }
};
for (const target of [fs, fs.promises]) {
  for (const [k, v] of Object.entries(target)) {
    if (typeof v !== 'function' || /^[A-Z]/.test(k)) continue;
    target[k] = function (...args) { seen(args[0]); return v.apply(this, args); };
  }
}
syncBuiltinESMExports();
`);
  return file;
}

test('no canary from ~/.aws, AWS_* variables or .env reaches the engine, and the CLI never opens them', async () => {
  const home = join(base, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${CANARIES.fileKey}\naws_secret_access_key = ${CANARIES.fileSecret}\n[${CANARIES.profile}]\naws_access_key_id = ${CANARIES.fileKey}\naws_secret_access_key = ${CANARIES.fileSecret}\n`);
  writeFileSync(join(home, '.aws', 'config'), `[default]\nregion = eu-west-1\nrole_arn = ${CANARIES.configRole}\n`);
  const project = join(base, 'project');
  mkdirSync(join(project, 'app'), { recursive: true });
  writeFileSync(join(project, 'hangar.yml'), 'component: http-function\nname: api\napp: canary\ninputs:\n  src:\n    src: ./app\n    hook: mkdir -p dist && cp index.mjs dist/ && env > dist/build-env.txt\n    dist: ./app/dist\n  handler: index.handler\n');
  writeFileSync(join(project, 'app', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "hello from hangar" });\n');
  writeFileSync(join(project, '.env'), `AWS_SECRET_ACCESS_KEY=${CANARIES.dotenv}\n`);
  writeFileSync(join(project, 'app', '.env'), `AWS_SECRET_ACCESS_KEY=${CANARIES.dotenv}\n`);
  const spyLog = join(base, 'fs-paths.log');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, HANGAR_HOME: join(home, '.hangar'),
    AWS_ACCESS_KEY_ID: CANARIES.key, AWS_SECRET_ACCESS_KEY: CANARIES.secret, AWS_SESSION_TOKEN: CANARIES.session,
    AWS_PROFILE: CANARIES.profile, AWS_REGION: 'eu-west-1', AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    NODE_OPTIONS: `--import ${fsSpy(spyLog)}`,
  };

  const outputs: string[] = [];
  const step = async (args: string[], expected = 0) => {
    const r = await run(args, project, env);
    outputs.push(r.stdout, r.stderr);
    assert.equal(r.code, expected, `hangar ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
    return r;
  };
  await step(['login', '--url', engine.url, '--token', engine.token]);
  const first = await step(['deploy']);
  assert.match(first.stdout, /^No local cloud credentials were read\.$/m);
  assert.match(first.stdout, /^provider: default \(role arn:aws:iam::222222222222:role\/hangar-deployer\)$/m);
  const again = await step(['deploy', '--json']);
  const result = JSON.parse(again.stdout) as { status: string; upload: { uploadedFiles: number } };
  assert.equal(result.status, 'succeeded');
  await step(['info']);
  await step(['logs', '--deployment']);

  // The build hook ran (its env was uploaded) — with the filtered environment.
  const buildEnv = [...engine.blobs.values()].map((b) => b.toString()).find((t) => t.includes('HANGAR_HOME='));
  assert.ok(buildEnv, 'the hook ran and its output was uploaded');
  assert.doesNotMatch(buildEnv, /^AWS_/m);

  const haystacks = [
    ...engine.requests.map((r) => `${r.method} ${r.url}\n${JSON.stringify(r.headers)}\n${r.body.toString('latin1')}`),
    ...[...engine.blobs.values()].map((b) => b.toString('latin1')),
    ...outputs,
    readFileSync(join(home, '.hangar', 'config.json'), 'utf8'),
  ];
  assert.ok(engine.requests.length >= 8, 'the engine saw the deploys');
  for (const [name, value] of Object.entries(CANARIES)) {
    for (const h of haystacks) assert.ok(!h.includes(value), `canary ${name} (${value}) reached the engine or the output`);
  }

  const touched = readFileSync(spyLog, 'utf8').split('\n').filter(Boolean);
  assert.ok(touched.some((p) => p.endsWith('hangar.yml')), 'the fs spy saw the CLI read its project file');
  const forbidden = touched.filter((p) => p.includes(join(home, '.aws')) || /(^|\/)\.env$/.test(p) || p.includes('169.254.169.254'));
  assert.deepEqual(forbidden, [], 'the CLI opened a credentials file or a .env');
});

test('a link in src to ~/.aws/credentials, and src: ~/.aws, are refused with nothing uploaded, and the CLI never touches ~/.aws', async () => {
  const home = join(base, 'home-links');
  const aws = join(home, '.aws');
  mkdirSync(aws, { recursive: true });
  writeFileSync(join(aws, 'credentials'), `[default]\naws_access_key_id = ${CANARIES.fileKey}\naws_secret_access_key = ${CANARIES.fileSecret}\n`);
  const project = join(base, 'project-links');
  mkdirSync(join(project, 'app'), { recursive: true });
  writeFileSync(join(project, 'app', 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
  symlinkSync(join(aws, 'credentials'), join(project, 'app', 'settings.ini'));
  const spyLog = join(base, 'fs-paths-links.log');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, HANGAR_HOME: join(home, '.hangar'), HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token,
    NODE_OPTIONS: `--import ${fsSpy(spyLog)}`,
  };
  const from = engine.requests.length;
  writeFileSync(join(project, 'hangar.yml'), 'component: http-function\nname: api\napp: links\ninputs:\n  src: ./app\n');
  const link = await run(['deploy'], project, env);
  assert.equal(link.code, 1, link.stderr);
  assert.match(link.stderr, /"settings\.ini" -> .*\.aws\/credentials.*\(CLI_SOURCE_LINK_OUTSIDE\)/);
  const afterLink = engine.requests.length;
  for (const src of [aws, '../home-links/.aws']) {
    writeFileSync(join(project, 'hangar.yml'), `component: http-function\nname: api\napp: links\ninputs:\n  src: ${src}\n`);
    const r = await run(['deploy'], project, env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is ~\/\.aws, a folder of credentials.*\(CLI_SOURCE_REFUSED\)/);
  }
  assert.equal(engine.requests.length, afterLink, 'src: ~/.aws made no request at all');
  const sent = engine.requests.slice(from);
  assert.deepEqual(sent.map((r) => `${r.method} ${r.url.replace(/\?.*/, '')}`), ['GET /api/v1/whoami'], 'only the session was opened: no manifest, blob or deployment');
  for (const r of sent) for (const value of Object.values(CANARIES)) assert.ok(!r.body.toString('latin1').includes(value));
  const touched = readFileSync(spyLog, 'utf8').split('\n').filter(Boolean);
  assert.ok(touched.some((p) => p.endsWith('hangar.yml')));
  assert.deepEqual(touched.filter((p) => p.includes(aws) || p.includes('.aws')), [], 'the CLI passed a path under ~/.aws to the file system');
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeEngine, type FakeEngine } from '../testing/fake-engine.js';
import { tempProject, testContext, type TempProject } from '../testing/helpers.js';
import { login, logout, whoami } from './login.js';
import { deploy, type DeployResult } from './deploy.js';
import { info, logs } from './instance.js';
import { main } from '../main.js';

let engine: FakeEngine;
before(async () => { engine = await startFakeEngine(); });
after(async () => { await engine.close(); });

function sourcesRequests(from: number) {
  return engine.requests.slice(from).filter((r) => r.url.endsWith('/sources')).map((r) => JSON.parse(r.body.toString()) as { kind: string; put?: unknown[]; delete?: unknown[]; entries?: { path: string }[] });
}
const blobPuts = (from: number) => engine.requests.slice(from).filter((r) => r.method === 'PUT' && r.url.includes('/blobs/'));
const blobBatches = (from: number) => engine.requests.slice(from).filter((r) => r.method === 'POST' && r.url.endsWith('/blobs'));
const bodyBytes = (from: number) => engine.requests.slice(from).reduce((n, r) => n + r.body.length, 0);

async function loggedIn(p: TempProject) {
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await login(ctx, { url: engine.url, token: engine.token }), 0, ctx.stderr.text());
  return ctx;
}

async function deployJson(p: TempProject, env: Record<string, string> = {}): Promise<{ code: number; result: DeployResult; stderr: string }> {
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home, ...env });
  const code = await deploy(ctx, { json: true });
  const out = ctx.stdout.text();
  return { code, result: JSON.parse(out) as DeployResult, stderr: ctx.stderr.text() };
}

test('login verifies with whoami and stores {url, token, orgId} in a 0600 file in a 0700 folder; logout removes it', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const ctx = await loggedIn(p);
  const file = join(p.home, 'config.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(p.home).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { url: engine.url, token: engine.token, orgId: engine.orgId });
  assert.match(ctx.stderr.text(), /Logged in to .* as dev@example\.com in acme/);
  const who = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await whoami(who), 0);
  assert.match(who.stdout.text(), /dev@example\.com .* acme \[org_test\] as owner/);
  assert.equal(await logout(testContext(p.dir, { HANGAR_HOME: p.home })), 0);
  assert.equal(existsSync(file), false);
});

test('a wrong token is refused at login and nothing is stored', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await login(ctx, { url: engine.url, token: 'hgr_wrong' }), 1);
  assert.match(ctx.stderr.text(), /AUTH_REQUIRED/);
  assert.doesNotMatch(ctx.stderr.text(), /at .*\.ts:\d+/, 'a user error prints no stack');
  assert.equal(existsSync(join(p.home, 'config.json')), false);
});

test('first deploy sends the full manifest and every blob; --json prints exactly one object with the documented shape', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  await loggedIn(p);
  const from = engine.requests.length;
  const { code, result } = await deployJson(p);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(result).sort(), ['deploymentId', 'durationMs', 'outputs', 'provider', 'status', 'timings', 'upload']);
  assert.deepEqual(Object.keys(result.timings).sort(), ['deployMs', 'engineRunMs', 'hashMs', 'uploadMs']);
  assert.equal(result.status, 'succeeded');
  assert.match(String(result.outputs.url), /^http:/);
  assert.deepEqual(result.provider, { name: 'default', roleArn: 'arn:aws:iam::222222222222:role/hangar-deployer' });
  assert.equal(result.upload.files, 4);
  assert.equal(result.upload.uploadedFiles, 4);
  assert.equal(sourcesRequests(from)[0]?.kind, 'full');
  assert.deepEqual(sourcesRequests(from)[0]?.entries?.map((e) => e.path).sort(), ['index.mjs', 'lib/a.js', 'node_modules/dep/index.js', 'node_modules/dep/package.json']);
  assert.equal(blobBatches(from).length, 1, 'the 4 files go in one batch');
  assert.equal(blobPuts(from).length, 0);
  assert.equal(result.upload.sentBytes, bodyBytes(from), 'sentBytes counts every request body the engine received');
  // The engine gets the code by manifest id, never a local path; variables are resolved.
  const dep = engine.deployments.at(-1)!;
  assert.deepEqual(dep.inputs, { handler: 'index.handler', env: { STAGE: 'dev' } });
  assert.match(dep.manifestId ?? '', /^[0-9a-f]{64}$/);
  assert.ok(![...engine.blobs.values()].some((b) => b.toString().includes('canary-dotenv')), '.env is never uploaded');
});

test('a no-op redeploy sends an empty delta and uploads nothing; a one-file change uploads just that blob in under 2 KB', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  await loggedIn(p);
  assert.equal((await deployJson(p)).code, 0);

  let from = engine.requests.length;
  const noop = await deployJson(p);
  assert.equal(noop.code, 0);
  assert.deepEqual(sourcesRequests(from).map((r) => [r.kind, r.put?.length, r.delete?.length]), [['delta', 0, 0]]);
  assert.equal(blobPuts(from).length + blobBatches(from).length, 0);
  assert.equal(noop.result.upload.uploadedBytes, 0);
  assert.equal(noop.result.upload.uploadedFiles, 0);
  assert.ok(noop.result.upload.sentBytes < 1024, `no-op sent ${noop.result.upload.sentBytes} bytes`);

  p.write('src/lib/a.js', 'export const a = 2;\n');
  from = engine.requests.length;
  const one = await deployJson(p);
  assert.equal(one.code, 0);
  const puts = blobPuts(from);
  assert.equal(puts.length, 1);
  assert.equal(puts[0]!.body.toString(), 'export const a = 2;\n');
  assert.deepEqual(sourcesRequests(from).map((r) => [r.kind, r.put?.length, r.delete?.length]), [['delta', 1, 0]]);
  assert.equal(one.result.upload.uploadedFiles, 1);
  assert.equal(one.result.upload.sentBytes, bodyBytes(from));
  assert.ok(one.result.upload.sentBytes < 2048, `one-file change sent ${one.result.upload.sentBytes} bytes`);
});

test('when the engine no longer holds the base manifest (409), the CLI sends the full manifest and the deploy succeeds', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  await loggedIn(p);
  assert.equal((await deployJson(p)).code, 0);
  engine.forgetManifests();
  const from = engine.requests.length;
  const again = await deployJson(p);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(sourcesRequests(from).map((r) => r.kind), ['delta', 'full']);
  assert.equal(blobPuts(from).length + blobBatches(from).length, 0, 'blobs the engine holds are not sent again');
});

test('progress is followed from the event stream and the outcome names the provider and that no credentials were read', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  await loggedIn(p);
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await deploy(ctx, { stage: 'qa' }), 0, ctx.stderr.text());
  const err = ctx.stderr.text();
  assert.match(err, /Deploying shop\/qa\/api \(deployment dep_\d+\)/);
  assert.match(err, /status: running[\s\S]*assuming arn:aws:iam::222222222222:role\/hangar-deployer[\s\S]*function updated[\s\S]*status: succeeded/);
  const out = ctx.stdout.text();
  assert.match(out, /^url: http:\/\/127\.0\.0\.1:1\/shop-qa$/m);
  assert.match(out, /^provider: default \(role arn:aws:iam::222222222222:role\/hangar-deployer\)$/m);
  assert.match(out, /^No local cloud credentials were read\.$/m);
  const inf = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await info(inf, { stage: 'qa' }), 0);
  assert.match(inf.stdout.text(), /shop\/qa\/api \(http-function\) deployed/);
  const lg = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await logs(lg, { stage: 'qa', deployment: true }), 0, lg.stderr.text());
  assert.match(lg.stdout.text(), /assuming .*\nfunction updated\n/);
});

test('a failed deployment exits 1 with the code and the message that names the fix', async (t) => {
  const p = tempProject();
  t.after(() => { p.cleanup(); engine.setFailure(undefined); });
  await loggedIn(p);
  engine.setFailure({ code: 'PROVIDER_NOT_CONFIGURED', message: 'No provider is linked for shop/dev. Run `hangar providers create <name>` and `hangar providers link <name> --org-default`.' });
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await deploy(ctx), 1);
  assert.match(ctx.stderr.text(), /No provider is linked .*hangar providers link <name> --org-default.* \(PROVIDER_NOT_CONFIGURED\)/);
  const { code, result } = await deployJson(p);
  assert.equal(code, 1);
  assert.equal(result.status, 'failed');
  assert.equal(result.error?.code, 'PROVIDER_NOT_CONFIGURED');
});

test('HANGAR_URL and HANGAR_TOKEN override the stored login (CI), with no config file at all', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const { code, result } = await deployJson(p, { HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token });
  assert.equal(code, 0);
  assert.equal(result.status, 'succeeded');
  assert.equal(existsSync(join(p.home, 'config.json')), false);
  // And they win over a stored login that points elsewhere.
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await login(ctx, { url: engine.url, token: engine.token }), 0);
  const bad = await deployJson(p, { HANGAR_URL: engine.url, HANGAR_TOKEN: 'hgr_revoked' });
  assert.equal(bad.code, 1);
  assert.equal(bad.result.error?.code, 'AUTH_REQUIRED');
  // HANGAR_URL alone pointing elsewhere never receives the stored token.
  const from = engine.requests.length;
  const elsewhere = await deployJson(p, { HANGAR_URL: 'http://127.0.0.1:9' });
  assert.equal(elsewhere.code, 1);
  assert.equal(elsewhere.result.error?.code, 'CLI_NOT_LOGGED_IN');
  assert.match(elsewhere.result.error?.message ?? '', /set HANGAR_TOKEN too/);
  assert.equal(engine.requests.length, from);
});

test('user errors print the message and the next command, exit 1, and --json stays one object', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await main(['deploy'], ctx), 1);
  assert.match(ctx.stderr.text(), /Not logged in to an engine\. Run `hangar login --url <engine> --token <token>`.*\(CLI_NOT_LOGGED_IN\)/);
  assert.doesNotMatch(ctx.stderr.text(), /\n\s+at /);
  const none = testContext(join(p.dir, 'src'), { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token });
  assert.equal(await main(['deploy', '--json'], none), 1);
  const obj = JSON.parse(none.stdout.text()) as DeployResult;
  assert.equal(obj.error?.code, 'PROJECT_FILE_NOT_FOUND');
  assert.match(obj.error?.message ?? '', /hangar init/);
  const down = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: 'http://127.0.0.1:9', HANGAR_TOKEN: 'x' });
  assert.equal(await main(['deploy'], down), 1);
  assert.match(down.stderr.text(), /Could not reach the engine at http:\/\/127\.0\.0\.1:9 .*\(CLI_ENGINE_UNREACHABLE\)/);
  const unknown = testContext(p.dir, {});
  assert.equal(await main(['deplyo'], unknown), 1);
  assert.match(unknown.stderr.text(), /unknown command 'deplyo'/);
});

test('an unresolved ${env:X} in the project file stops the deploy before anything is sent', async (t) => {
  const p = tempProject('component: http-function\nname: api\ninputs:\n  src: ./src\n  env:\n    KEY: ${env:SHOP_KEY}\n');
  t.after(() => p.cleanup());
  const from = engine.requests.length;
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token });
  assert.equal(await deploy(ctx), 1);
  assert.match(ctx.stderr.text(), /inputs\.env\.KEY: \$\{env:SHOP_KEY\} has no value.*\(PROJECT_VARIABLE_UNRESOLVED\)/);
  assert.equal(engine.requests.length, from);
});

test('a build hook runs in src before dist is uploaded; a failing hook or a missing folder stops the deploy with its code', async (t) => {
  const p = tempProject('component: http-function\nname: api\ninputs:\n  src:\n    src: ./app\n    hook: mkdir -p ../out && echo built > ../out/index.mjs\n    dist: ./out\n');
  t.after(() => p.cleanup());
  p.write('app/index.ts', 'export {}\n');
  const env = { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token };
  const from = engine.requests.length;
  const ok = testContext(p.dir, env);
  assert.equal(await deploy(ok), 0, ok.stderr.text());
  assert.match(ok.stderr.text(), /Running the build hook: mkdir -p/);
  assert.deepEqual(sourcesRequests(from)[0]?.entries?.map((e) => e.path), ['index.mjs']);

  p.write('hangar.yml', 'component: http-function\nname: api\ninputs:\n  src:\n    src: ./app\n    hook: exit 3\n');
  const bad = testContext(p.dir, env);
  assert.equal(await deploy(bad), 1);
  assert.match(bad.stderr.text(), /inputs\.src\.hook: `exit 3` failed with exit code 3 .*\(CLI_HOOK_FAILED\)/);

  p.write('hangar.yml', 'component: http-function\nname: api\ninputs:\n  src: ./nope\n');
  const missing = testContext(p.dir, env);
  assert.equal(await deploy(missing), 1);
  assert.match(missing.stderr.text(), /inputs\.src: expected a folder, but .*nope does not exist.*\(CLI_SOURCE_NOT_FOUND\)/);
});

/**
 * `hangar deploy` against the fake engine where a careless CLI would leak or confuse: a link to
 * ~/.aws/credentials in the source, a source folder that is ~/.aws, ${env:HANGAR_TOKEN}, names
 * no package can hold, a YAML bomb, and an engine that dies while the deployment streams. Each is
 * refused with its registry code, and the engine never sees a canary.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeEngine, type FakeEngine } from '../testing/fake-engine.js';
import { tempProject, testContext, type TempProject } from '../testing/helpers.js';
import { deploy, type DeployResult } from './deploy.js';
import { logs } from './instance.js';
import { login } from './login.js';

const CANARY = { key: 'AKIACANARYSAFETY0001', secret: 'canary-safety-secret-Zx81', token: 'hgr_canary_token_in_env_0001' };

let engine: FakeEngine;
before(async () => { engine = await startFakeEngine(); });
after(async () => { await engine.close(); });

/** A temporary HOME beside the project with a planted ~/.aws/credentials. */
function withAwsHome(p: TempProject): string {
  const home = join(p.dir, '..', 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${CANARY.key}\naws_secret_access_key = ${CANARY.secret}\n`);
  return home;
}

function seenByEngine(from: number): string {
  return engine.requests.slice(from).map((r) => `${r.method} ${r.url}\n${r.body.toString('latin1')}`).join('\n')
    + [...engine.blobs.values()].map((b) => b.toString('latin1')).join('\n');
}

async function run(p: TempProject, env: Record<string, string>, json = false): Promise<{ code: number; out: string; err: string; result?: DeployResult }> {
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: engine.url, HANGAR_TOKEN: engine.token, ...env });
  const code = await deploy(ctx, { json });
  const out = ctx.stdout.text();
  return { code, out, err: ctx.stderr.text(), ...(json ? { result: JSON.parse(out) as DeployResult } : {}) };
}

test('a link in src to ~/.aws/credentials is refused, named, and nothing is uploaded', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const home = withAwsHome(p);
  symlinkSync(join(home, '.aws', 'credentials'), join(p.dir, 'src', 'settings.ini'));
  const from = engine.requests.length;
  const r = await run(p, { HOME: home });
  assert.equal(r.code, 1);
  assert.match(r.err, /inputs\.src \(.*src\) has a symbolic link to files outside it: "settings\.ini" -> .*\/home\/\.aws\/credentials\. The CLI never follows a link out of the source folder.*nothing was uploaded\. \(CLI_SOURCE_LINK_OUTSIDE\)/);
  assert.doesNotMatch(r.err, /Hangar CLI bug/);
  const sent = engine.requests.slice(from);
  assert.deepEqual(sent.filter((q) => q.url.endsWith('/sources') || /\/blobs(\/|$)/.test(q.url) || q.url.endsWith('/deployments')), [], 'no manifest, blob or deployment was sent');
  assert.ok(!seenByEngine(from).includes(CANARY.key) && !seenByEngine(from).includes(CANARY.secret));
});

test('src pointing at ~/.aws (or a link to it) is refused before the engine hears of the deploy', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const home = withAwsHome(p);
  symlinkSync(join(home, '.aws'), join(p.dir, 'keys'));
  for (const src of [join(home, '.aws'), '../home/.aws', './keys', '../home']) {
    p.write('hangar.yml', `component: http-function\nname: api\ninputs:\n  src: ${src}\n`);
    const from = engine.requests.length;
    const r = await run(p, { HOME: home }, true);
    assert.equal(r.code, 1, src);
    assert.equal(r.result?.error?.code, 'CLI_SOURCE_REFUSED', src);
    assert.match(r.result?.error?.message ?? '', /(is|holds) ~\/\.aws.*a folder of credentials.*Point inputs\.src at the folder with your function's code; nothing was uploaded\./, src);
    assert.equal(engine.requests.length, from, `${src}: no request at all reached the engine`);
  }
  // With a build hook, dist is checked by its path before the hook and the session.
  p.write('hangar.yml', `component: http-function\nname: api\ninputs:\n  src:\n    src: ./src\n    hook: touch built\n    dist: ../home/.aws\n`);
  const from = engine.requests.length;
  const hooked = await run(p, { HOME: home });
  assert.match(hooked.err, /inputs\.src\.dist \(.*\) is ~\/\.aws.*\(CLI_SOURCE_REFUSED\)/);
  assert.equal(engine.requests.length, from);
});

test('the deploy says once which .env files it left out, and $HANGAR_HOME inside src is left out too', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  p.write('src/lib/.env.production', 'DB_PASSWORD=canary-dotenv-0002\n');
  const ciHome = join(p.dir, 'src', 'ci-home');
  const first = await run(p, { HANGAR_HOME: ciHome });
  assert.equal(first.code, 0, first.err);
  assert.equal(first.err.match(/excluded 2 \.env files/g)?.length, 1, first.err);
  assert.match(first.err, /excluded 2 \.env files: \.env, lib\/\.env\.production \(never uploaded: they hold secrets\)/);
  // A login stored in a HANGAR_HOME inside the source folder is never uploaded.
  const login1 = testContext(p.dir, { HANGAR_HOME: ciHome });
  assert.equal(await login(login1, { url: engine.url, token: engine.token }), 0);
  const from = engine.requests.length;
  const again = await run(p, { HANGAR_HOME: ciHome, HANGAR_URL: '', HANGAR_TOKEN: '' });
  assert.equal(again.code, 0, again.err);
  assert.match(again.err, /excluded ci-home\/: it is \$HANGAR_HOME, the CLI's login/);
  const manifests = engine.requests.slice(from).filter((q) => q.url.endsWith('/sources')).map((q) => q.body.toString());
  assert.ok(manifests.length > 0 && manifests.every((m) => !m.includes('ci-home')), 'the login folder is in no manifest');
  assert.ok(!seenByEngine(0).includes('canary-dotenv'));
});

test('${env:HANGAR_TOKEN} in hangar.yml is PROJECT_VARIABLE_REFUSED, saying why, and nothing is sent', async (t) => {
  const p = tempProject('component: http-function\nname: api\ninputs:\n  src: ./src\n  env:\n    TOKEN: ${env:HANGAR_TOKEN}\n');
  t.after(() => p.cleanup());
  const from = engine.requests.length;
  const r = await run(p, { HANGAR_TOKEN: CANARY.token });
  assert.equal(r.code, 1);
  assert.match(r.err, /inputs\.env\.TOKEN: \$\{env:HANGAR_TOKEN\} is refused: .*plain text in the instance's inputs.*function's environment.*\(PROJECT_VARIABLE_REFUSED\)/);
  assert.equal(engine.requests.length, from);
});

test('a YAML alias bomb and a __proto__ key are PROJECT_FILE_INVALID, not a CLI bug', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const levels = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i < 8; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  p.write('hangar.yml', `component: http-function\nname: api\ninputs:\n  src: ./src\n  lol:\n    ${levels.join('\n    ')}\n`);
  const bomb = await run(p, {});
  assert.equal(bomb.code, 1);
  assert.match(bomb.err, /hangar\.yml expands YAML aliases .*"billion laughs".*\(PROJECT_FILE_INVALID\)/);
  assert.doesNotMatch(bomb.err, /Hangar CLI bug|INTERNAL/);
  p.write('hangar.yml', 'component: http-function\nname: api\ninputs:\n  src: ./src\n  env:\n    __proto__: { x: "1" }\n');
  const proto = await run(p, {}, true);
  assert.equal(proto.result?.error?.code, 'PROJECT_FILE_INVALID');
  assert.match(proto.result?.error?.message ?? '', /inputs\.env\.__proto__: a key named "__proto__" is not accepted/);
});

test('a file name with a bidi override or a newline is SOURCE_PATH_INVALID before any upload', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  for (const name of ['report\u202Efdp.js', 'two\nlines.js']) {
    writeFileSync(join(p.dir, 'src', name), 'x');
    const from = engine.requests.length;
    const r = await run(p, {}, true);
    assert.equal(r.result?.error?.code, 'SOURCE_PATH_INVALID', name);
    assert.match(r.result?.error?.message ?? '', /^The source file "(report\\u202efdp|two\\nlines)\.js" in .*src (contains a bidi override|contains a control character).*rename it/);
    assert.equal(engine.requests.slice(from).filter((q) => q.url.endsWith('/sources') || /\/blobs(\/|$)/.test(q.url)).length, 0);
    (await import('node:fs')).rmSync(join(p.dir, 'src', name));
  }
});

test('an engine that dies while the deployment streams: "engine connection lost", the deployment and its last status, retryable code', async (t) => {
  const dying = await startFakeEngine();
  const p = tempProject();
  t.after(async () => { p.cleanup(); await dying.close(); });
  dying.dieMidStream();
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: dying.url, HANGAR_TOKEN: dying.token });
  assert.equal(await deploy(ctx), 1);
  const err = ctx.stderr.text();
  assert.match(err, /status: running/);
  assert.match(err, /✖ Engine connection lost \(.+\); deployment dep_1 is running as last seen, and may still finish\. See `hangar info` once the engine is back\. \(CLI_ENGINE_CONNECTION_LOST\)/);
  assert.doesNotMatch(err, /Hangar CLI bug|aborted\n\s+at /);
  // --json: one object with the code; the engine is gone, so the deploy fails at once, reachable or not.
  const json = testContext(p.dir, { HANGAR_HOME: p.home, HANGAR_URL: dying.url, HANGAR_TOKEN: dying.token });
  assert.equal(await deploy(json, { json: true }), 1);
  assert.equal((JSON.parse(json.stdout.text()) as DeployResult).error?.code, 'CLI_ENGINE_UNREACHABLE');
});

test('a stream cut mid-deployment: the CLI reconnects with Last-Event-ID and prints no line twice', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  engine.dropStreamOnce();
  const from = engine.requests.length;
  const r = await run(p, {});
  assert.equal(r.code, 0, r.err);
  const streams = engine.requests.slice(from).filter((q) => q.url.endsWith('/events'));
  assert.equal(streams.length, 2, 'one reconnect');
  assert.equal(streams[0]!.headers['last-event-id'], undefined);
  assert.equal(streams[1]!.headers['last-event-id'], '1');
  const all = r.err + r.out;
  assert.equal(all.split('assuming arn:aws:iam::222222222222:role/hangar-deployer').length - 1, 1, all);
  assert.equal(all.split('function updated').length - 1, 1, all);
  assert.equal(all.split('status: running').length - 1, 1, all);
});

test('hangar logs of a running deployment resumes a cut stream too, each line once', async (t) => {
  const p = tempProject();
  t.after(() => p.cleanup());
  const lc = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await login(lc, { url: engine.url, token: engine.token }), 0, lc.stderr.text());
  engine.dropStreamOnce();
  const created = await fetch(`${engine.url}/api/v1/orgs/${engine.orgId}/deployments`, {
    method: 'POST', headers: { authorization: `Bearer ${engine.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ app: 'shop', stage: 'logs', name: 'api', component: 'http-function', inputs: {} }),
  });
  assert.equal(created.status, 202, await created.clone().text());
  const from = engine.requests.length;
  const ctx = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await logs(ctx, { stage: 'logs', deployment: true }), 0, ctx.stderr.text());
  const out = ctx.stdout.text();
  assert.equal(out.split('assuming arn:aws:iam::222222222222:role/hangar-deployer').length - 1, 1, out);
  assert.equal(out.split('function updated').length - 1, 1, out);
  const streams = engine.requests.slice(from).filter((q) => q.url.endsWith('/events'));
  assert.deepEqual(streams.map((q) => q.headers['last-event-id']), [undefined, '1']);
});

test('${env:AWS_SECRET_ACCESS_KEY} is refused as withheld even when the variable is set, and nothing is sent', async (t) => {
  const p = tempProject('component: http-function\nname: api\ninputs:\n  src: ./src\n  env:\n    K: ${env:AWS_SECRET_ACCESS_KEY}\n');
  t.after(() => p.cleanup());
  const from = engine.requests.length;
  const r = await run(p, { AWS_SECRET_ACCESS_KEY: CANARY.secret });
  assert.equal(r.code, 1);
  assert.match(r.err, /inputs\.env\.K: \$\{env:AWS_SECRET_ACCESS_KEY\} has no value here: .*cloud credential variable.*\(PROJECT_VARIABLE_REFUSED\)/);
  assert.equal(engine.requests.length, from);
  assert.ok(!r.err.includes(CANARY.secret));
});

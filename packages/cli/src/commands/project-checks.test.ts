/**
 * What `hangar deploy` refuses before it deploys anything, against the real engine (embedded, in
 * process, port 0): a misspelt component (refused at the manifest request, before any upload), a
 * handler file missing from the source (refused before the engine hears of the deploy), a
 * Serverless Framework file, and `org:` in the project file (selects the org, or is refused).
 * Every request the CLI makes is recorded through the context's fetch.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbedded, type Embedded } from '@hangar/local';
import { testContext } from '../testing/helpers.js';
import { main } from '../main.js';

const example = fileURLToPath(new URL('../../../../examples/hello-http', import.meta.url));
let up: Embedded;
let dir: string;
let orgName: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-cli-checks-'));
  up = await startEmbedded({ dataDir: join(dir, 'data'), port: 0, cloudPort: 0, step: () => undefined });
  const ctx = testContext(dir, { HANGAR_HOME: join(dir, 'home') });
  assert.equal(await main(['login', '--url', up.engineUrl, '--token', up.ownerToken!], ctx), 0, ctx.stderr.text());
  const who = await fetch(`${up.engineUrl}/api/v1/whoami`, { headers: { authorization: `Bearer ${up.ownerToken!}` } });
  orgName = ((await who.json()) as { orgs: { id: string; name: string }[] }).orgs.find((o) => o.id === up.orgId)!.name;
});
after(async () => {
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of examples/hello-http whose hangar.yml is edited by `edit`. */
function project(name: string, edit: (yml: string) => string = (y) => y): string {
  const p = join(dir, name);
  cpSync(example, p, { recursive: true });
  writeFileSync(join(p, 'hangar.yml'), edit(readFileSync(join(p, 'hangar.yml'), 'utf8')));
  return p;
}

async function hangar(cwd: string, args: string[], env: Record<string, string> = {}) {
  const requests: { method: string; path: string }[] = [];
  const recording: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push({ method: init?.method ?? (input instanceof Request ? input.method : 'GET'), path: url.pathname });
    return fetch(input, init);
  };
  const ctx = { ...testContext(cwd, { HANGAR_HOME: join(dir, 'home'), ...env }), fetch: recording };
  const code = await main(args, ctx);
  return { code, out: ctx.stdout.text(), err: ctx.stderr.text(), requests };
}

test('a misspelt component is refused at the manifest request with the nearest name and the list; no file is uploaded', async () => {
  const p = project('typo', (y) => y.replace('component: http-function', 'component: http-functon'));
  const r = await hangar(p, ['deploy']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, /There is no component "http-functon"\. Did you mean "http-function"\? Available: http-function, function, table, website, express\..*\(COMPONENT_NOT_FOUND\)/);
  assert.deepEqual(r.requests.map((q) => `${q.method} ${q.path}`), [`POST /api/v1/orgs/${up.orgId}/sources`], 'one manifest request, then nothing: no blob, no deployment');
});

test('a handler file missing from the source is refused before the engine hears of the deploy', async () => {
  const p = project('nohandler', (y) => y.replace('handler: index.handler', 'handler: src/app.handler'));
  const r = await hangar(p, ['deploy', '--json']);
  assert.equal(r.code, 1, r.out + r.err);
  const out = JSON.parse(r.out) as { error: { code: string; message: string } };
  assert.equal(out.error.code, 'COMPONENT_HANDLER_NOT_FOUND');
  assert.match(out.error.message, /the handler "src\/app\.handler" needs the file src\/app\.js, src\/app\.mjs, src\/app\.cjs in inputs\.src/);
  assert.deepEqual(r.requests, []);
  // The same source with a handler whose file is there (an .mjs counts) goes further.
  mkdirSync(join(p, 'src', 'src'), { recursive: true });
  writeFileSync(join(p, 'src', 'src', 'app.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n');
  const ok = await hangar(p, ['deploy']);
  assert.equal(ok.code, 0, ok.out + ok.err);
});

test('a Serverless Framework v3 serverless.yml gets one message pointing at the migration docs', async () => {
  const p = join(dir, 'framework');
  mkdirSync(p, { recursive: true });
  writeFileSync(join(p, 'serverless.yml'), 'service: shop\nframeworkVersion: "3"\nprovider:\n  name: aws\n  runtime: nodejs18.x\n  profile: prod\nfunctions:\n  api:\n    handler: handler.main\n    events:\n      - httpApi: "*"\n');
  const r = await hangar(p, ['deploy']);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split('\n').filter((l) => l.includes('PROJECT_FRAMEWORK_UNSUPPORTED')).length, 1, r.err);
  assert.match(r.err, /is a Serverless Framework file .* "Migrating from the Serverless Framework" in docs\/migrating\.md.*\(PROJECT_FRAMEWORK_UNSUPPORTED\)/);
  assert.deepEqual(r.requests, []);
  const docs = readFileSync(fileURLToPath(new URL('../../../../docs/migrating.md', import.meta.url)), 'utf8');
  assert.match(docs, /^## Migrating from the Serverless Framework$/m);
});

test('org: in the project file selects the org the token has (by name or id), and is refused otherwise', async () => {
  const unknown = await hangar(project('org-unknown', (y) => `org: someone-else\n${y}`), ['deploy']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /The project file sets org: someone-else, but .* belongs to no organisation with that id or name \(yours: .*\).*\(PROJECT_ORG_UNKNOWN\)/);
  assert.ok(!unknown.requests.some((q) => q.path.includes('/orgs/')), 'refused before any org route');

  const byId = await hangar(project('org-id', (y) => `org: ${up.orgId}\n${y}`), ['info']);
  assert.ok(byId.requests.some((q) => q.path.startsWith(`/api/v1/orgs/${up.orgId}/`)), byId.err);
  assert.ok(!byId.requests.some((q) => q.path === '/api/v1/whoami'), 'the stored org\'s id needs no whoami');
  assert.ok(byId.requests.every((q) => !q.path.startsWith('/api/v1/orgs/') || q.path.startsWith(`/api/v1/orgs/${up.orgId}/`)));

  const byName = await hangar(project('org-name', (y) => `org: ${orgName}\n${y}`), ['deploy']);
  assert.equal(byName.code, 0, byName.out + byName.err);
  assert.ok(byName.requests.some((q) => q.path === `/api/v1/orgs/${up.orgId}/deployments`));

  const clash = await hangar(project('org-clash', (y) => `org: ${orgName}\n${y}`), ['deploy'], { HANGAR_ORG: 'other' });
  assert.equal(clash.code, 1);
  assert.match(clash.err, /HANGAR_ORG=other is not one of your organisations|name different organisations/);
});

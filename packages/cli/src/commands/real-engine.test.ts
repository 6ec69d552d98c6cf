/**
 * The command functions against the real engine and local cloud (the embedded default, in
 * process, on port 0): providers, tokens, audit, and a deploy of examples/hello-http whose URL
 * answers. The fake-engine tests cover the protocol's edges; this one proves the routes agree.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbedded, type Embedded } from '@hangar/local';
import { testContext } from '../testing/helpers.js';
import { main } from '../main.js';

const example = fileURLToPath(new URL('../../../../examples/hello-http', import.meta.url));
let up: Embedded;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-cli-real-'));
  up = await startEmbedded({ dataDir: join(dir, 'data'), port: 0, cloudPort: 0, step: () => undefined });
  cpSync(example, join(dir, 'project'), { recursive: true });
});
after(async () => {
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function hangar(args: string[], expected = 0) {
  const ctx = testContext(join(dir, 'project'), { HANGAR_HOME: join(dir, 'home') });
  const code = await main(args, ctx);
  assert.equal(code, expected, `hangar ${args.join(' ')} exited ${code}\n${ctx.stdout.text()}\n${ctx.stderr.text()}`);
  return { out: ctx.stdout.text(), err: ctx.stderr.text() };
}

test('login, deploy examples/hello-http and call its URL, then info, logs and a no-op redeploy', async () => {
  await hangar(['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  const first = await hangar(['deploy']);
  assert.match(first.out, new RegExp(`^provider: ${up.providerName} \\(role ${up.roleArn.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`, 'm'));
  assert.match(first.out, /^No local cloud credentials were read\.$/m);
  const url = /^url: (\S+)$/m.exec(first.out)?.[1];
  assert.ok(url, first.out);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { message: string }).message, 'hello from hangar');

  const again = JSON.parse((await hangar(['deploy', '--json'])).out) as { status: string; upload: { uploadedBytes: number; sentBytes: number } };
  assert.equal(again.status, 'succeeded');
  assert.equal(again.upload.uploadedBytes, 0);
  assert.ok(again.upload.sentBytes < 2048);
  assert.match((await hangar(['info'])).out, /hello-http\/dev\/hello \(http-function\) deployed/);
  assert.match((await hangar(['logs'])).out, /Temporary credentials issued for session hangar-dep_/);
});

test('providers: create prints the external ID, trust policy and template; a role that does not trust it fails verify; link, unlink, delete', async () => {
  const created = await hangar(['providers', 'create', 'second']);
  const externalId = /^external ID: (\S+)$/m.exec(created.out)?.[1];
  assert.match(externalId ?? '', /^hgr-ext-/);
  assert.match(created.out, /"sts:ExternalId": "hgr-ext-/);
  const template = /^CloudFormation template: (\S+)$/m.exec(created.out)?.[1];
  assert.ok(template && existsSync(template) && readFileSync(template, 'utf8').includes(externalId!));
  // The embedded deployer role trusts the "local" provider's external ID, not this one's.
  const failed = await hangar(['providers', 'verify', 'second', '--role-arn', up.roleArn], 1);
  assert.match(failed.out, /✖ /);
  assert.match(failed.err, /\(PROVIDER_[A-Z_]+\)/);
  await hangar(['providers', 'link', 'second', '--app', 'shop', '--stage', 'prod']);
  const list = (await hangar(['providers', 'list'])).out;
  assert.match(list, /^second\tfailed\tassume-role\t.*\tshop\/prod$/m);
  assert.match(list, new RegExp(`^${up.providerName}\\tverified\\t.*org default$`, 'm'));
  await hangar(['providers', 'unlink', 'second', '--app', 'shop', '--stage', 'prod']);
  await hangar(['providers', 'delete', 'second']);
  assert.doesNotMatch((await hangar(['providers', 'list'])).out, /^second\t/m);
});

test('tokens create, list and revoke; audit verify reports the chain intact', async () => {
  const token = (await hangar(['tokens', 'create', 'ci'])).out.trim();
  assert.match(token, /^hgr_/);
  assert.match((await hangar(['tokens', 'list'])).out, /\tci\thgr_/);
  await hangar(['tokens', 'revoke', 'ci']);
  const ci = testContext(join(dir, 'project'), { HANGAR_HOME: join(dir, 'ci-home'), HANGAR_URL: up.engineUrl, HANGAR_TOKEN: token });
  assert.equal(await main(['whoami'], ci), 1);
  assert.match(ci.stderr.text(), /AUTH_REQUIRED/);
  assert.match((await hangar(['audit', 'verify'])).err, /Audit chain intact: \d+ events/);
});

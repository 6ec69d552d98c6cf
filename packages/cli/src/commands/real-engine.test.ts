/**
 * The command functions against the real engine and local cloud (the embedded default, in
 * process, on port 0): providers, tokens, audit, and a deploy of examples/hello-http whose URL
 * answers. The fake-engine tests cover the protocol's edges; this one proves the routes agree.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  assert.equal(again.status, 'skipped');
  assert.equal(again.upload.uploadedBytes, 0);
  assert.ok(again.upload.sentBytes < 2048);
  assert.match((await hangar(['info'])).out, /hello-http\/dev\/hello \(http-function\) deployed/);
  // `logs --deployment` shows the last deployment: the skipped one, which asked for no credentials
  const depLog = (await hangar(['logs', '--deployment'])).out;
  assert.match(depLog, /No changes since deployment dep_/);
  assert.doesNotMatch(depLog, /Temporary credentials issued/);
  assert.match((await hangar(['logs', '--since', '5m'])).out, /[0-9a-f-]{36} {2}REPORT {2}Duration: /, 'the function\'s own log: the request made above');
});

test('providers: create prints the external ID and trust policy, writes the template only when asked; a role that does not trust it fails verify; link warns while unverified; update resets to pending and is audited; unlink, delete', async () => {
  const project = join(dir, 'project');
  const before = readdirSync(project).sort();
  const created = await hangar(['providers', 'create', 'second']);
  const externalId = /^external ID: (\S+)$/m.exec(created.out)?.[1];
  assert.match(externalId ?? '', /^hgr-ext-/);
  assert.match(created.out, /"sts:ExternalId": "hgr-ext-/);
  assert.match(created.out, /^CloudFormation template: add --template-file <file> to write it/m);
  assert.deepEqual(readdirSync(project).sort(), before, 'providers create wrote nothing into the current folder');
  const third = await hangar(['providers', 'create', 'third', '--template-file', 'out/third.json'], 1);
  assert.match(third.err, /ENOENT|no such file/i, 'a template path in a missing folder is an error, not a silent skip');
  const fourth = await hangar(['providers', 'create', 'fourth', '--template-file', 'fourth.template.json']);
  const template = /^CloudFormation template: (\S+)$/m.exec(fourth.out)?.[1];
  assert.equal(template, join(project, 'fourth.template.json'));
  assert.ok(readFileSync(template, 'utf8').includes('"AWSTemplateFormatVersion"'));
  rmSync(template);
  await hangar(['providers', 'delete', 'third']);
  await hangar(['providers', 'delete', 'fourth']);
  // The embedded deployer role trusts the "local" provider's external ID, not this one's.
  const failed = await hangar(['providers', 'verify', 'second', '--role-arn', up.roleArn], 1);
  assert.match(failed.out, /✖ /);
  assert.match(failed.err, /\(PROVIDER_[A-Z_]+\)/);
  const linked = await hangar(['providers', 'link', 'second', '--app', 'shop', '--stage', 'prod']);
  assert.match(linked.err, /has not passed verify \(status failed\): deployments that use this link are refused \(PROVIDER_NOT_VERIFIED\) until `hangar providers verify second` succeeds/);
  const list = (await hangar(['providers', 'list'])).out;
  assert.match(list, /^second\tfailed\tassume-role\t.*\tshop\/prod$/m);
  assert.match(list, new RegExp(`^${up.providerName}\\tverified\\t.*org default$`, 'm'));

  // A verified provider changed from the CLI: back to pending, audited with what changed.
  type Listed = { providers: { name: string; status: string; accountId: string; region: string }[] };
  const listed = async () => (JSON.parse((await hangar(['providers', 'list', '--json'])).out) as Listed).providers.find((p) => p.name === up.providerName)!;
  const original = await listed();
  assert.equal(original.status, 'verified');
  const updated = await hangar(['providers', 'update', up.providerName, '--account-id', '999999999999', '--region', 'eu-west-1']);
  assert.match(updated.err, /accountId \d{12} → 999999999999/);
  assert.match(updated.err, /region \S+ → eu-west-1/);
  assert.match(updated.err, /status: pending; deployments with it are refused until `hangar providers verify/);
  const changed = await listed();
  assert.deepEqual({ status: changed.status, accountId: changed.accountId, region: changed.region }, { status: 'pending', accountId: '999999999999', region: 'eu-west-1' });
  const audit = await fetch(`${up.engineUrl}/api/v1/orgs/${up.orgId}/audit?kind=provider.updated`, { headers: { authorization: `Bearer ${up.ownerToken}` } });
  const [event] = ((await audit.json()) as { events: { data: { changed: string[]; changes: Record<string, { from: unknown; to: unknown }>; status: string } }[] }).events;
  assert.deepEqual(event?.data.changed.sort(), ['accountId', 'region']);
  assert.deepEqual(event?.data.changes.accountId, { from: original.accountId, to: '999999999999' });
  assert.equal(event?.data.status, 'pending');
  const nothing = await hangar(['providers', 'update', up.providerName], 1);
  assert.match(nothing.err, /Nothing to change: give --role-arn/);
  const bad = await hangar(['providers', 'update', up.providerName, '--account-id', '12'], 1);
  assert.match(bad.err, /body\.accountId: expected a 12-digit AWS account id/);
  // Put it back the way the other tests need it: the original account and region, then verify again.
  await hangar(['providers', 'update', up.providerName, '--account-id', original.accountId, '--region', original.region]);
  await hangar(['providers', 'verify', up.providerName]);

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

test('a table project: deploy, a key change refused naming both keys, --replace of another name refused, --replace table recreates, remove', async () => {
  const tableDir = join(dir, 'orders');
  mkdirSync(tableDir, { recursive: true });
  const write = (type: string) => writeFileSync(join(tableDir, 'hangar.yml'), `component: table\napp: shop\nname: orders\ninputs:\n  partitionKey: { name: id, type: ${type} }\n`);
  const run = async (args: string[], expected = 0) => {
    const ctx = testContext(tableDir, { HANGAR_HOME: join(dir, 'home') });
    const code = await main(args, ctx);
    assert.equal(code, expected, `hangar ${args.join(' ')} exited ${code}\n${ctx.stdout.text()}\n${ctx.stderr.text()}`);
    return { out: ctx.stdout.text(), err: ctx.stderr.text() };
  };
  await hangar(['login', '--url', up.engineUrl, '--token', up.ownerToken!]);
  write('S');
  const first = await run(['deploy']);
  assert.match(first.out, /^name: hangar-shop-dev-orders-[0-9a-f]{8}$/m);
  assert.match(first.out, /^arn: arn:aws:dynamodb:/m);
  write('N');
  const refused = await run(['deploy'], 1);
  assert.match(refused.err, /partition key id \(S\).*partition key id \(N\).*--replace.*\(COMPONENT_REPLACE_REQUIRED\)/s);
  const wrong = await run(['deploy', '--replace', 'users'], 1);
  assert.match(wrong.err, /--replace users: this project's instance is "orders" \(component table\)/);
  await run(['deploy', '--replace', 'table']);
  await run(['remove']);
});

/**
 * `hangar cloud credentials` against a real local cloud running on a data dir laid out as
 * `hangar up` lays it out (`<data-dir>/cloud`): the printed profile works with an AWS SDK client
 * pointed at its endpoint_url; without a running cloud, a clear error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { main } from '../main.js';
import { testContext } from '../testing/helpers.js';

let dir: string;
let cloud: LocalCloud;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-cloud-creds-'));
  cloud = await startLocalCloud({ port: 0, dataDir: join(dir, 'data', 'cloud'), services: [] });
});
after(async () => {
  await cloud?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function hangar(args: string[], env: Record<string, string> = {}) {
  const ctx = testContext(dir, { HANGAR_HOME: join(dir, 'home'), ...env });
  const code = await main(args, ctx);
  return { code, out: ctx.stdout.text(), err: ctx.stderr.text() };
}

function profile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^(\w+) = (\S+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

test('prints an aws-configure-ready profile whose keys work against the local cloud (workload account by default)', async () => {
  const r = await hangar(['cloud', 'credentials', '--data-dir', join(dir, 'data')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\[hangar-local\]$/m);
  const p = profile(r.out);
  assert.match(p.aws_access_key_id ?? '', /^AKIA/);
  assert.equal(p.region, 'us-east-1');
  assert.equal(p.endpoint_url, cloud.endpoint);
  const sts = new STSClient({ endpoint: p.endpoint_url, region: p.region, credentials: { accessKeyId: p.aws_access_key_id!, secretAccessKey: p.aws_secret_access_key! } });
  try {
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '200000000002');
  } finally {
    sts.destroy();
  }
  assert.match(r.err, /not AWS/);

  const home = await hangar(['cloud', 'credentials', '--account', '123456789012'], { HANGAR_HOME: join(dir, 'nothing') });
  assert.equal(home.code, 1);
  assert.match(home.err, /No local cloud is running on .*nothing\/local: start it with `hangar up`/);
});

test('--account picks the account; a malformed one is refused', async () => {
  const r = await hangar(['cloud', 'credentials', '--data-dir', join(dir, 'data'), '--account', '123456789012']);
  assert.equal(r.code, 0, r.err);
  const p = profile(r.out);
  const sts = new STSClient({ endpoint: p.endpoint_url, region: p.region, credentials: { accessKeyId: p.aws_access_key_id!, secretAccessKey: p.aws_secret_access_key! } });
  try {
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Account, '123456789012');
  } finally {
    sts.destroy();
  }
  const bad = await hangar(['cloud', 'credentials', '--data-dir', join(dir, 'data'), '--account', '12']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /12 digits/);
});

// The whole engine in process (real store, real credential broker) against the real local cloud,
// deploying the real http-function component from uploaded source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import type { Kysely } from 'kysely';
import { createTestEngine, parseSse, testDatabases, type TestEngine } from '@hangar/engine';
import { createLocalAccounts, ensureDeployerRole, iamClient, type LocalAccounts } from './local-accounts.js';

const region = 'us-east-1';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

for (const db of testDatabases()) describe(`deploying http-function through the engine to the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let accounts: LocalAccounts;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };
  let lambda: LambdaClient;

  before(async () => {
    cloud = await startLocalCloud({ port: 0, log: () => {} });
    accounts = await createLocalAccounts(cloud.endpoint, cloud.adminToken, region);
    engine = await createTestEngine({ database: db.kind, config: { aws: { region, endpoint: cloud.endpoint, credentials: accounts.engineUser }, workers: 1 } });
    base = `/api/v1/orgs/${engine.seed!.org.id}`;
    headers = engine.auth(engine.seed!.token);
    const p = await engine.app.inject({ method: 'POST', url: `${base}/providers`, headers, payload: { name: 'local' } });
    assert.equal(p.statusCode, 201, p.body);
    const iam = iamClient(cloud.endpoint, region, accounts.workloadRoot);
    const roleArn = await ensureDeployerRole(iam, 'hangar-deployer', JSON.stringify(p.json().setup.trustPolicy));
    iam.destroy();
    const v = await engine.app.inject({ method: 'POST', url: `${base}/providers/local/verify`, headers, payload: { roleArn } });
    assert.equal(v.json().status, 'verified', v.body);
    const l = await engine.app.inject({ method: 'POST', url: `${base}/providers/local/links`, headers, payload: { scope: 'org' } });
    assert.ok(l.statusCode < 300, l.body);
    lambda = new LambdaClient({ region, endpoint: cloud.endpoint, credentials: { accessKeyId: accounts.workloadRoot.accessKeyId, secretAccessKey: accounts.workloadRoot.secretAccessKey } });
  });
  after(async () => {
    lambda?.destroy();
    await engine?.close();
    await cloud?.stop();
  });

  async function upload(files: Record<string, string>): Promise<string> {
    const entries: ManifestEntry[] = Object.entries(files).map(([path, c]) => ({ path, sha256: sha(c), size: Buffer.byteLength(c), mode: 0o644 }));
    const res = await engine.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
    assert.equal(res.statusCode, 200, res.body);
    for (const h of res.json().missing as string[]) {
      const content = Object.values(files).find((c) => sha(c) === h)!;
      const put = await engine.app.inject({ method: 'PUT', url: `${base}/blobs/${h}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(content) });
      assert.equal(put.statusCode, 204, put.body);
    }
    assert.equal(res.json().manifestId, manifestId(entries));
    return res.json().manifestId;
  }

  async function run(body: Record<string, unknown>) {
    const res = await engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'hello', stage: 'dev', name: 'api', component: 'http-function', ...body } });
    assert.equal(res.statusCode, 202, res.body);
    const stream = await engine.app.inject({ url: `${base}/deployments/${res.json().deploymentId}/events`, headers });
    const events = parseSse(stream.body);
    return { done: events.at(-1)!.data, logs: events.filter((e) => e.event === 'log').map((e) => e.data.message as string), id: res.json().deploymentId as string };
  }

  const handler = (text: string) => `exports.handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: ${JSON.stringify(text)} + ' ' + event.rawPath });`;

  test('deploy answers at its URL, an unchanged redeploy calls no Lambda update, remove deletes the function', async () => {
    const m1 = await upload({ 'index.js': handler('hello from hangar') });
    const first = await run({ inputs: { src: '.', handler: 'index.handler' }, manifestId: m1 });
    assert.equal(first.done.status, 'succeeded', JSON.stringify(first));
    assert.equal(first.done.provider.name, 'local');
    assert.match(first.done.provider.roleArn, /:role\/hangar-deployer$/);
    const url = first.done.outputs.url as string;
    const answer = await fetch(`${url}ping`);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /^hello from hangar \/.*ping$/);

    const fn = first.done.outputs.functionName as string;
    const before = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
    const again = await run({ inputs: { src: '.', handler: 'index.handler' }, manifestId: m1 });
    assert.equal(again.done.status, 'skipped');
    assert.ok(again.logs.some((l) => /No changes since deployment/.test(l)), again.logs.join('\n'));
    // --refresh runs the component, which finds the cloud as it left it and updates nothing
    const refreshed = await run({ inputs: { src: '.', handler: 'index.handler' }, manifestId: m1, refresh: true });
    assert.equal(refreshed.done.status, 'succeeded');
    assert.ok(refreshed.logs.some((l) => /No changes/.test(l) && !/since deployment/.test(l)), refreshed.logs.join('\n'));
    assert.ok(!refreshed.logs.some((l) => /Updating function/.test(l)));
    const afterNoop = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
    assert.equal(afterNoop.RevisionId, before.RevisionId, 'the function was not updated');
    assert.equal(afterNoop.LastModified, before.LastModified);
    assert.equal(again.done.outputs.url, url);

    // A code change makes only a code update and the URL serves the new code.
    const m2 = await upload({ 'index.js': handler('hello again') });
    const changed = await run({ inputs: { src: '.', handler: 'index.handler' }, manifestId: m2 });
    assert.equal(changed.done.status, 'succeeded');
    assert.ok(changed.logs.some((l) => l === 'Updating function code'));
    assert.ok(!changed.logs.some((l) => /Updating function configuration/.test(l)));
    assert.match(await (await fetch(`${url}x`)).text(), /^hello again/);

    // The session's credentials are nowhere in what the engine stored or logged.
    // (The engine declares its tables inside its own package; read them here as plain rows.)
    const db = engine.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    const rows = JSON.stringify([
      await db.selectFrom('deployments').selectAll().execute(),
      await db.selectFrom('deployment_logs').selectAll().execute(),
      await db.selectFrom('instances').selectAll().execute(),
    ]);
    assert.ok(!/ASIA[A-Z0-9]{12,}/.test(rows), 'no session access key id in the store');
    assert.ok(!rows.includes(accounts.engineUser.secretAccessKey));

    const removed = await run({ action: 'remove', inputs: {} });
    assert.equal(removed.done.status, 'succeeded', JSON.stringify(removed));
    await assert.rejects(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn })), (e: Error) => e.name === 'ResourceNotFoundException');
    const inst = (await engine.app.inject({ url: `${base}/instances/by-name/hello/dev/api`, headers })).json();
    assert.equal(inst.status, 'removed');
  });
});

// The whole engine in process (real store, real credential broker) against the real local cloud,
// deploying the real http-function component from uploaded source.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { LocalCloud } from '@hangar/local-cloud';
import type { Kysely } from 'kysely';
import { parseSse, testDatabases, type TestEngine } from '@hangar/engine';
import type { LocalAccounts } from './local-accounts.js';
import { startEngineOnLocalCloud, uploadSource } from './testing.js';

const region = 'us-east-1';

for (const db of testDatabases()) describe(`deploying http-function through the engine to the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let accounts: LocalAccounts;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };
  let lambda: LambdaClient;

  before(async () => {
    ({ cloud, accounts, engine, base, headers } = await startEngineOnLocalCloud({ region, database: db.kind }));
    lambda = new LambdaClient({ region, endpoint: cloud.endpoint, credentials: { accessKeyId: accounts.workloadRoot.accessKeyId, secretAccessKey: accounts.workloadRoot.secretAccessKey } });
  });
  after(async () => {
    lambda?.destroy();
    await engine?.close();
    await cloud?.stop();
  });

  const upload = (files: Record<string, string>) => uploadSource(engine, base, headers, files);

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

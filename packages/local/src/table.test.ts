// The whole engine in process (real store, real credential broker) against the real local cloud,
// deploying the real `table` component — its session is narrowed to its own table (the policy is
// on record in the audit), and `replace: true` (hangar deploy --replace) reaches the component —
// and the real `function` component, invoked and its logs read through the engine's operations.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { manifestId, type ManifestEntry } from '@hangar/core';
import type { LocalCloud } from '@hangar/local-cloud';
import { parseSse, testDatabases, type TestEngine } from '@hangar/engine';
import type { LocalAccounts } from './local-accounts.js';
import { startEngineOnLocalCloud } from './testing.js';

const region = 'us-east-1';

for (const db of testDatabases()) describe(`deploying table and function through the engine to the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let accounts: LocalAccounts;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };
  let ddb: DynamoDBClient;

  before(async () => {
    ({ cloud, accounts, engine, base, headers } = await startEngineOnLocalCloud({ region, database: db.kind }));
    ddb = new DynamoDBClient({ region, endpoint: cloud.endpoint, credentials: { accessKeyId: accounts.workloadRoot.accessKeyId, secretAccessKey: accounts.workloadRoot.secretAccessKey } });
  });
  after(async () => {
    ddb?.destroy();
    await engine?.close();
    await cloud?.stop();
  });

  async function run(body: Record<string, unknown>) {
    const res = await engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'shop', stage: 'dev', name: 'orders', component: 'table', ...body } });
    assert.equal(res.statusCode, 202, res.body);
    const stream = await engine.app.inject({ url: `${base}/deployments/${res.json().deploymentId}/events`, headers });
    const events = parseSse(stream.body);
    return { done: events.at(-1)!.data, logs: events.filter((e) => e.event === 'log').map((e) => e.data.message as string), id: res.json().deploymentId as string };
  }

  test('deploy with a session narrowed to the table; a key change is refused, then replaced with replace: true; remove', async () => {
    const first = await run({ inputs: { partitionKey: 'pk' } });
    assert.equal(first.done.status, 'succeeded', JSON.stringify(first));
    const name = first.done.outputs.name as string;
    assert.match(name, /^hangar-shop-dev-orders-[0-9a-f]{8}$/);
    assert.equal(first.done.outputs.arn, `arn:aws:dynamodb:us-east-1:200000000002:table/${name}`);

    // The session policy is on record: the table actions, on this table only.
    const requested = await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.requested', limit: 50 });
    const mine = requested.find((e) => e.subject === `deployment:${first.id}`);
    const policy = (mine?.data as { policy?: { Statement: { Action: string[]; Resource: string[] }[] } }).policy;
    assert.deepEqual(policy?.Statement.flatMap((s) => s.Resource), [`arn:aws*:dynamodb:*:*:table/${name}`]);
    assert.ok(policy?.Statement.every((s) => s.Action.every((a) => a.startsWith('dynamodb:'))));

    const refused = await run({ inputs: { partitionKey: { name: 'pk', type: 'N' } } });
    assert.equal(refused.done.status, 'failed');
    assert.equal(refused.done.error.code, 'COMPONENT_REPLACE_REQUIRED');
    assert.match(refused.done.error.message, /partition key pk \(S\).*partition key pk \(N\)/);

    const replaced = await run({ inputs: { partitionKey: { name: 'pk', type: 'N' } }, replace: true });
    assert.equal(replaced.done.status, 'succeeded', JSON.stringify(replaced));
    assert.ok(replaced.logs.some((l) => l.includes('--replace')), replaced.logs.join('\n'));
    const t = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!;
    assert.equal(t.AttributeDefinitions?.[0]?.AttributeType, 'N');

    const removed = await run({ action: 'remove' });
    assert.equal(removed.done.status, 'succeeded', JSON.stringify(removed));
    await assert.rejects(ddb.send(new DescribeTableCommand({ TableName: name })), (e: Error) => e.name === 'ResourceNotFoundException');
  });

  test('function: deployed with its narrowed session, invoked and its logs read through the engine, removed', async () => {
    const code = 'exports.handler = async (event) => { console.log("job", event.job); return { done: event.job }; };';
    const sha = createHash('sha256').update(code).digest('hex');
    const entries: ManifestEntry[] = [{ path: 'index.js', sha256: sha, size: Buffer.byteLength(code), mode: 0o644 }];
    const src = await engine.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
    for (const h of src.json().missing as string[]) {
      await engine.app.inject({ method: 'PUT', url: `${base}/blobs/${h}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(code) });
    }
    const deployed = await run({ name: 'worker', component: 'function', inputs: { src: '.' }, manifestId: manifestId(entries) });
    assert.equal(deployed.done.status, 'succeeded', JSON.stringify(deployed));
    assert.match(deployed.done.outputs.arn as string, /^arn:aws:lambda:us-east-1:200000000002:function:hangar-shop-dev-worker-[0-9a-f]{8}$/);
    assert.equal(deployed.done.outputs.url, undefined, 'no HTTP API');

    const instanceId = (await engine.app.inject({ url: `${base}/instances/by-name/shop/dev/worker`, headers })).json().id as string;
    const invoked = await engine.app.inject({ method: 'POST', url: `${base}/instances/${instanceId}/invoke`, headers, payload: { payload: { job: 7 } } });
    assert.equal(invoked.statusCode, 200, invoked.body);
    assert.deepEqual(JSON.parse(invoked.json().payload), { done: 7 });
    assert.match(invoked.json().logTail, /job 7/);
    const logs = await engine.app.inject({ url: `${base}/instances/${instanceId}/logs`, headers });
    assert.equal(logs.statusCode, 200, logs.body);
    assert.equal(logs.json().logGroup, deployed.done.outputs.logGroup);
    assert.ok((logs.json().events as { message: string }[]).some((e) => /job\s+7/.test(e.message)), logs.body);

    const removed = await run({ name: 'worker', component: 'function', action: 'remove' });
    assert.equal(removed.done.status, 'succeeded', JSON.stringify(removed));
  });
});

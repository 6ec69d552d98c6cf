// The whole engine in process (real store, real credential broker) against the real local cloud,
// deploying the real `website` component from uploaded files: its session is narrowed to its own
// bucket (on record in the audit), the checkSource refusal comes before any cloud call, and the
// site answers at its URL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { LocalCloud } from '@hangar/local-cloud';
import { parseSse, testDatabases, type TestEngine } from '@hangar/engine';
import type { LocalAccounts } from './local-accounts.js';
import { startEngineOnLocalCloud, uploadSource } from './testing.js';

const region = 'us-east-1';

/** GET from `http://<bucket>.s3-website.localhost:<port>/…`, sent to 127.0.0.1 with that Host. */
function get(url: string, path: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(path, url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const db of testDatabases()) describe(`deploying website through the engine to the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let accounts: LocalAccounts;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };
  let s3: S3Client;

  before(async () => {
    ({ cloud, accounts, engine, base, headers } = await startEngineOnLocalCloud({ region, database: db.kind }));
    s3 = new S3Client({ region, endpoint: cloud.endpoint, forcePathStyle: true, credentials: { accessKeyId: accounts.workloadRoot.accessKeyId, secretAccessKey: accounts.workloadRoot.secretAccessKey } });
  });
  after(async () => {
    s3?.destroy();
    await engine?.close();
    await cloud?.stop();
  });

  const upload = (files: Record<string, string>) => uploadSource(engine, base, headers, files);

  async function run(body: Record<string, unknown>) {
    const res = await engine.app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'todo', stage: 'dev', name: 'site', component: 'website', ...body } });
    if (res.statusCode !== 202) return { refused: res.json() as { code: string; message: string } };
    const stream = await engine.app.inject({ url: `${base}/deployments/${res.json().deploymentId}/events`, headers });
    const events = parseSse(stream.body);
    return { done: events.at(-1)!.data, id: res.json().deploymentId as string };
  }

  test('deploy serves the files with a session narrowed to the bucket; a missing index is refused first; remove deletes the bucket', async () => {
    const m0 = await upload({ 'main.html': '<h1>no index</h1>' });
    const refused = await run({ inputs: { src: 'dist' }, manifestId: m0 });
    assert.equal(refused.refused?.code, 'WEBSITE_DOCUMENT_MISSING', JSON.stringify(refused));

    const m1 = await upload({ 'index.html': '<h1>todo</h1>', 'assets/app-1a2b3c4d5e.js': 'console.log(1)' });
    const first = await run({ inputs: { src: 'dist', spa: true }, manifestId: m1 });
    assert.equal(first.done?.status, 'succeeded', JSON.stringify(first));
    const { url, bucket } = first.done.outputs as { url: string; bucket: string };
    assert.match(bucket, /^hangar-todo-dev-site-[0-9a-f]{8}$/);
    assert.equal((await get(url, '/')).body, '<h1>todo</h1>');
    assert.equal((await get(url, '/assets/app-1a2b3c4d5e.js')).headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await get(url, '/todos/1')).body, '<h1>todo</h1>');

    const requested = await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.requested', limit: 50 });
    const policy = (requested.find((e) => e.subject === `deployment:${first.id}`)?.data as { policy?: { Statement: { Action: string[]; Resource: string[] }[] } }).policy;
    assert.deepEqual(policy?.Statement.flatMap((s) => s.Resource).sort(), [`arn:aws*:s3:::${bucket}`, `arn:aws*:s3:::${bucket}/*`]);
    assert.ok(policy?.Statement.every((s) => s.Action.every((a) => a.startsWith('s3:'))));

    const removed = await run({ action: 'remove' });
    assert.equal(removed.done?.status, 'succeeded', JSON.stringify(removed));
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: bucket })), (e: Error) => e.name === 'NotFound');
  });
});

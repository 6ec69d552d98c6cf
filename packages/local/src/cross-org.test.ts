import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { manifestId } from '@hangar/core';
import type { InjectOptions } from 'fastify';
import { startEmbedded, type Embedded } from './start.js';

// The confused-deputy walk with real data: org A (the embedded default: a verified provider,
// linked as the org default, through the real local cloud) and org B. B's owner calls every
// org route under B's own path with A's real ids in every other parameter: nothing of A may be
// seen, changed, linked or verified. Routes added later by any feature are walked too.
let embedded: Embedded;
let dataDir: string;
let tokenA: string;
let tokenB: string;
let orgB: string;
const idsOfA = new Set<string>();
let manifestOfA: string;
let instanceOfA: string;
const secretsOfA: string[] = [];

const ID = /\b(?:prv|pln|dep|ins|app|tok|usr|aud|org|ses)_[A-Za-z0-9]{6,}\b/g;

async function get(token: string, url: string) {
  return embedded.engine.engine.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hangar-cross-org-'));
  embedded = await startEmbedded({ dataDir, port: 0, cloudPort: 0, logger: silent() });
  tokenA = embedded.ownerToken!;
  const b = await embedded.engine.engine.bootstrap.createOrg({ name: 'beta', owner: { email: 'bob@beta.example' } });
  tokenB = b.token.token;
  orgB = b.org.id;
  await deployInA();
  // Everything A can list, harvested: ids to aim at, and facts that must never show up for B.
  for (const r of orgRoutes()) {
    if (r.method !== 'GET' || /:(?!orgId)/.test(r.url)) continue;
    const res = await get(tokenA, r.url.replace(':orgId', embedded.orgId));
    for (const m of res.body.match(ID) ?? []) idsOfA.add(m);
  }
  const providers = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/providers`)).json().providers as Array<{ id: string }>;
  assert.ok(providers.length >= 1, 'org A has a provider');
  const detail = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/providers/${providers[0]!.id}`)).json() as { setup?: { externalId?: string }; roleArn?: string };
  secretsOfA.push(embedded.orgId, embedded.roleArn);
  if (detail.setup?.externalId) secretsOfA.push(detail.setup.externalId);
  const instances = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/instances`)).json().instances as Array<{ outputs: Record<string, unknown> }>;
  for (const v of Object.values(instances[0]?.outputs ?? {})) if (typeof v === 'string' && v.length > 8) secretsOfA.push(v);
  assert.ok(secretsOfA.some((v) => v.startsWith('http')), 'A\'s function URL is among the facts B must not see');
  idsOfA.delete(orgB);
});

after(async () => {
  await embedded?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A real deployment in A (source upload, http-function through A's provider), so A has apps, instances, deployments and logs. */
async function deployInA(): Promise<void> {
  const app = embedded.engine.engine.app;
  const headers = { authorization: `Bearer ${tokenA}` };
  const base = `/api/v1/orgs/${embedded.orgId}`;
  const code = Buffer.from('exports.handler = async () => ({ statusCode: 200, body: "a" });\n');
  const entry = { path: 'index.js', sha256: createHash('sha256').update(code).digest('hex'), size: code.length, mode: 0o644 };
  const up = await app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries: [entry] } });
  assert.equal(up.statusCode, 200, up.body);
  const put = await app.inject({ method: 'PUT', url: `${base}/blobs/${entry.sha256}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: code });
  assert.equal(put.statusCode, 204, put.body);
  manifestOfA = manifestId([entry]);
  const dep = await app.inject({ method: 'POST', url: `${base}/deployments`, headers, payload: { app: 'web', stage: 'dev', name: 'api', component: 'http-function', inputs: { handler: 'index.handler' }, manifestId: manifestOfA } });
  assert.equal(dep.statusCode, 202, dep.body);
  instanceOfA = (dep.json() as { instanceId: string }).instanceId;
  const id = (dep.json() as { deploymentId: string }).deploymentId;
  for (let i = 0; i < 300; i++) {
    const status = ((await get(tokenA, `${base}/deployments/${id}`)).json() as { status: string }).status;
    if (status === 'succeeded') return;
    assert.ok(status === 'queued' || status === 'running', `A's deployment ended ${status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail('A\'s deployment did not finish in 15 s');
}

function orgRoutes() {
  return embedded.engine.engine.routes.filter((r) => r.method !== 'HEAD' && r.url.startsWith('/api/v1/orgs/:orgId'));
}

function silent() {
  const noop = () => {};
  const l = { debug: noop, info: noop, warn: noop, error: noop, addSecret: noop, removeSecret: noop, child: () => l };
  return l;
}

test('org B cannot see, use, link, verify or change anything of org A through any route', async () => {
  for (const prefix of ['prv_', 'pln_', 'dep_', 'ins_', 'tok_', 'usr_']) {
    assert.ok([...idsOfA].some((x) => x.startsWith(prefix)), `no ${prefix} id harvested from A: ${[...idsOfA].join(', ')}`);
  }
  assert.ok(idsOfA.size >= 4, `harvested A's ids: ${[...idsOfA].join(', ')}`);
  const auditBefore = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/audit/verify`)).json();
  const problems: string[] = [];
  for (const r of orgRoutes()) {
    const params = (r.url.match(/:(\w+)/g) ?? []).filter((p) => p !== ':orgId');
    if (params.length === 0) continue;
    // A's provider is also addressable by name; try that too (names are not checked as leaks: too common).
    for (const id of [...idsOfA, embedded.providerName]) {
      const url = r.url.replace(':orgId', orgB).replace(/:(\w+)/g, (_m, n: string) => (n === 'sha256' ? 'a'.repeat(64) : id));
      const mutating = r.method !== 'GET';
      const res = await embedded.engine.engine.app.inject({
        method: r.method as InjectOptions['method'], url, headers: { authorization: `Bearer ${tokenB}` }, ...(mutating ? { payload: {} } : {}),
      });
      if (res.statusCode < 400 || res.statusCode === 401 || res.statusCode >= 500) problems.push(`${r.method} ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      // The id we sent may be echoed back ("provider prv_… not found"); nothing else of A may appear.
      const leaked = [...secretsOfA, ...idsOfA].filter((s) => s !== id && res.body.includes(s));
      if (leaked.length) problems.push(`${r.method} ${url} revealed ${leaked.join(', ')}`);
    }
  }
  assert.deepEqual(problems, []);
  const auditAfter = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/audit/verify`)).json();
  assert.deepEqual(auditAfter, auditBefore, 'nothing was written to A\'s audit log');
  const providers = (await get(tokenA, `/api/v1/orgs/${embedded.orgId}/providers`)).json().providers as Array<{ status: string }>;
  assert.ok(providers.every((p) => p.status === 'verified'), 'A\'s provider is untouched');
  const bProviders = (await get(tokenB, `/api/v1/orgs/${orgB}/providers`)).json().providers as unknown[];
  assert.deepEqual(bProviders, [], 'B has no provider of its own, and sees none of A\'s');
});

test('org B cannot name org A\'s instance, manifest or blobs in a body either', async () => {
  const app = embedded.engine.engine.app;
  const headers = { authorization: `Bearer ${tokenB}` };
  const base = `/api/v1/orgs/${orgB}`;
  const send = (method: 'POST' | 'PUT', url: string, payload: unknown) => app.inject({ method, url: `${base}${url}`, headers, payload: payload as object });

  const prv = await send('POST', '/providers', { name: 'b-provider', accountId: '123456789012' });
  assert.equal(prv.statusCode, 201, prv.body);
  const link = await send('POST', `/providers/${(prv.json() as { id: string }).id}/links`, { scope: 'instance', instanceId: instanceOfA });
  assert.equal(link.statusCode, 404, `linking A's instance: ${link.body}`);

  const deploy = await send('POST', '/deployments', { app: 'web', stage: 'dev', name: 'api', component: 'http-function', inputs: {}, manifestId: manifestOfA });
  assert.equal(deploy.statusCode, 400, `deploying A's manifest: ${deploy.body}`);
  assert.equal(deploy.json().code, 'SOURCE_MANIFEST_UNKNOWN');

  const delta = await send('POST', '/sources', { kind: 'delta', base: manifestOfA, put: [], delete: [], manifestId: manifestOfA });
  assert.equal(delta.statusCode, 409, `a delta on A's manifest: ${delta.body}`);
  assert.equal(delta.json().code, 'SOURCE_BASE_UNKNOWN');

  const code = Buffer.from('exports.handler = async () => ({ statusCode: 200, body: "a" });\n');
  const blob = await app.inject({ method: 'PUT', url: `${base}/blobs/${createHash('sha256').update(code).digest('hex')}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: code });
  assert.equal(blob.statusCode, 409, `a blob only A declared: ${blob.body}`);
  assert.equal(blob.json().code, 'SOURCE_BLOB_NOT_DECLARED');

  for (const r of [link, deploy, delta, blob]) for (const s of secretsOfA) assert.ok(!r.body.includes(s), `revealed ${s}`);
});

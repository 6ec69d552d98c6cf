// Every source, deployment and instance route through the real engine (real tokens, real auth
// hook, real broker with no provider): as anonymous, as another org, and as each role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BLOB_BATCH_CONTENT_TYPE, encodeBlobBatch } from '@hangar/core';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import type { Role } from '../types.js';
import { parseSse } from './_sse.js';

for (const db of testDatabases()) describe(`source, deployment and instance routes by caller (${db.kind})`, { skip: db.skip }, () => {
  let engine: TestEngine;
  let orgId: string;
  const tokens = new Map<Role | 'other-org', string>();
  let deploymentId: string;
  let instanceId: string;
  const content = 'exports.handler = async () => ({ statusCode: 200 });';
  const hash = createHash('sha256').update(content).digest('hex');
  const entries = [{ path: 'index.js', sha256: hash, size: content.length, mode: 0o644 }];

  before(async () => {
    engine = await createTestEngine({ database: db.kind });
    orgId = engine.seed!.org.id;
    tokens.set('owner', engine.seed!.token.token);
    for (const role of ['admin', 'deployer', 'viewer'] as const) {
      const u = await engine.bootstrap.createUser({ email: `${role}@example.com` });
      await engine.bootstrap.addMember(orgId, u.id, role);
      tokens.set(role, (await engine.bootstrap.createToken(orgId, u.id, `${role}-token`)).token);
    }
    const other = await engine.bootstrap.createOrg({ name: 'other', owner: { email: 'mallory@example.com' } });
    tokens.set('other-org', other.token.token);
    // A deployment of http-function with no provider anywhere: it must fail without touching a cloud.
    const auth = { authorization: `Bearer ${tokens.get('deployer')}` };
    const src = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/sources`, headers: auth, payload: { kind: 'full', entries } });
    assert.equal(src.statusCode, 200, src.body);
    const put = await engine.app.inject({ method: 'PUT', url: `/api/v1/orgs/${orgId}/blobs/${hash}`, headers: { ...auth, 'content-type': 'application/octet-stream' }, payload: Buffer.from(content) });
    assert.equal(put.statusCode, 204, put.body);
    const dep = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/deployments`, headers: auth, payload: { app: 'shop', stage: 'dev', name: 'api', component: 'http-function', inputs: {}, manifestId: src.json().manifestId } });
    assert.equal(dep.statusCode, 202, dep.body);
    ({ deploymentId, instanceId } = dep.json());
  });
  after(async () => { await engine?.close(); });

  test('with no provider the deployment fails with PROVIDER_NOT_CONFIGURED naming the fix, and no credentials are issued', async () => {
    const ev = parseSse((await engine.app.inject({ url: `/api/v1/orgs/${orgId}/deployments/${deploymentId}/events`, headers: { authorization: `Bearer ${tokens.get('viewer')}` } })).body);
    const done = ev.at(-1)!;
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'failed');
    assert.equal(done.data.error.code, 'PROVIDER_NOT_CONFIGURED');
    assert.match(done.data.error.message, /hangar providers create/);
    const kinds = (await engine.audit.list(orgId)).map((e) => e.kind);
    assert.ok(kinds.includes('deployment.started') && kinds.includes('deployment.finished'), kinds.join(','));
    assert.ok(!kinds.includes('credentials.issued'));
  });

  const routes = () => [
    { method: 'POST', url: `/api/v1/orgs/${orgId}/sources`, payload: { kind: 'full', entries }, min: 'deployer' as Role, ok: 200 },
    { method: 'PUT', url: `/api/v1/orgs/${orgId}/blobs/${hash}`, body: content, min: 'deployer' as Role, ok: 204 },
    { method: 'POST', url: `/api/v1/orgs/${orgId}/blobs`, body: encodeBlobBatch([{ sha256: hash, bytes: Buffer.from(content) }]), contentType: BLOB_BATCH_CONTENT_TYPE, min: 'deployer' as Role, ok: 200 },
    { method: 'POST', url: `/api/v1/orgs/${orgId}/deployments`, payload: { app: 'shop', stage: 'dev', name: 'other', component: 'http-function', inputs: { memory: 'big' } }, min: 'deployer' as Role, ok: 400 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/deployments`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/deployments/${deploymentId}`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/deployments/${deploymentId}/logs`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/deployments/${deploymentId}/events`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/instances`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/instances/${instanceId}`, min: 'viewer' as Role, ok: 200 },
    { method: 'GET', url: `/api/v1/orgs/${orgId}/instances/by-name/shop/dev/api`, min: 'viewer' as Role, ok: 200 },
  ];
  const rank: Record<Role, number> = { viewer: 0, deployer: 1, admin: 2, owner: 3 };

  test('anonymous: 401; another org: 404; each role: allowed or 403', async () => {
    for (const r of routes()) {
      const send = (token?: string) => engine.app.inject({
        method: r.method as 'GET', url: r.url,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(r.body !== undefined ? { 'content-type': 'contentType' in r ? r.contentType : 'application/octet-stream' } : {}) },
        ...(r.payload ? { payload: r.payload } : r.body !== undefined ? { payload: Buffer.from(r.body) } : {}),
      });
      assert.equal((await send()).statusCode, 401, `${r.method} ${r.url} anonymous`);
      const foreign = await send(tokens.get('other-org'));
      assert.equal(foreign.statusCode, 404, `${r.method} ${r.url} as another org`);
      assert.ok(!foreign.body.includes(deploymentId) && !foreign.body.includes(instanceId));
      for (const role of ['viewer', 'deployer', 'admin', 'owner'] as const) {
        const res = await send(tokens.get(role));
        const expected = rank[role] >= rank[r.min] ? r.ok : 403;
        assert.equal(res.statusCode, expected, `${r.method} ${r.url} as ${role}: ${res.body.slice(0, 200)}`);
      }
    }
  });
});

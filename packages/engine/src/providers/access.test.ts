// Who may do what with providers: roles inside the org, and another org that must see nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import type { Role } from '../types.js';
import { startCloudFixture, type CloudFixture } from './internal/cloud-fixture.js';

for (const db of testDatabases()) describe(`providers: roles and org isolation (${db.kind})`, { skip: db.skip }, () => {
  let fx: CloudFixture;
  let engine: TestEngine;
  let orgA: string;
  const tokens = {} as Record<Role | 'orgB', string>;
  let provider: { id: string; name: string; roleArn: string };
  let linkId: string;

  before(async () => {
    fx = await startCloudFixture();
    engine = await createTestEngine({ database: db.kind, clock: fx.clock, config: { aws: { region: 'us-east-1', endpoint: fx.endpoint, credentials: fx.engineCredentials } } });
    orgA = engine.seed!.org.id;
    tokens.owner = engine.seed!.token.token;
    for (const role of ['admin', 'deployer', 'viewer'] as const) {
      const u = await engine.bootstrap.createUser({ email: `${role}@example.com` });
      await engine.bootstrap.addMember(orgA, u.id, role);
      tokens[role] = (await engine.bootstrap.createToken(orgA, u.id, `${role}-token`)).token;
    }
    const b = await engine.bootstrap.createOrg({ name: 'beta', owner: { email: 'bob@beta.example' } });
    tokens.orgB = b.token.token;
    const created = await req('owner', 'POST', `/api/v1/orgs/${orgA}/providers`, { name: 'prod' });
    const roleArn = await fx.createRole('hangar-prod', created.json().setup.trustPolicy);
    provider = { id: created.json().id, name: 'prod', roleArn };
    assert.equal((await req('owner', 'POST', `/api/v1/orgs/${orgA}/providers/prod/verify`, { roleArn })).json().status, 'verified');
    linkId = (await req('owner', 'POST', `/api/v1/orgs/${orgA}/providers/prod/links`, { scope: 'org' })).json().link.id;
  });
  after(async () => { await engine?.close(); await fx?.stop(); });

  function req(who: Role | 'orgB' | 'none', method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
    return engine.app.inject({
      method, url, ...(who === 'none' ? {} : { headers: engine.auth(tokens[who]) }), ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }

  // Every provider route, with a body that would succeed for an admin.
  const routes = () => {
    const p = `/api/v1/orgs/${orgA}/providers`;
    return [
      { name: 'create', method: 'POST', url: p, body: { name: 'another' }, min: 'admin' },
      { name: 'list', method: 'GET', url: p, min: 'viewer' },
      { name: 'get', method: 'GET', url: `${p}/${provider.id}`, min: 'viewer' },
      { name: 'get by name', method: 'GET', url: `${p}/prod`, min: 'viewer' },
      { name: 'update', method: 'PATCH', url: `${p}/${provider.id}`, body: { sessionDurationSeconds: 1200 }, min: 'admin' },
      { name: 'verify', method: 'POST', url: `${p}/${provider.id}/verify`, body: {}, min: 'admin' },
      { name: 'link', method: 'POST', url: `${p}/${provider.id}/links`, body: { scope: 'app', app: 'shop' }, min: 'admin' },
      { name: 'unlink', method: 'DELETE', url: `${p}/${provider.id}/links/${linkId}`, min: 'admin' },
      { name: 'delete', method: 'DELETE', url: `${p}/${provider.id}`, min: 'admin' },
    ] as const;
  };

  test('another org gets 404 on every route of this org\'s providers, and sees none of them in its own list', async () => {
    for (const r of routes()) {
      const res = await req('orgB', r.method, r.url, 'body' in r ? r.body : undefined);
      assert.equal(res.statusCode, 404, `${r.name} as org B: ${res.body}`);
      assert.ok(!res.body.includes(provider.roleArn) && !res.body.includes(provider.id), `${r.name} as org B leaks nothing`);
    }
    // Even through its own org's path, A's provider id does not exist for B.
    const bOrg = (await req('orgB', 'GET', '/api/v1/orgs')).json();
    const bId = (bOrg.orgs ?? bOrg)[0].id;
    assert.equal((await req('orgB', 'GET', `/api/v1/orgs/${bId}/providers/${provider.id}`)).statusCode, 404);
    assert.equal((await req('orgB', 'POST', `/api/v1/orgs/${bId}/providers/${provider.id}/verify`, {})).statusCode, 404);
    assert.equal((await req('orgB', 'POST', `/api/v1/orgs/${bId}/providers/${provider.id}/links`, { scope: 'org' })).statusCode, 404);
    assert.equal((await req('orgB', 'DELETE', `/api/v1/orgs/${bId}/providers/${provider.id}/links/${linkId}`)).statusCode, 404);
    assert.deepEqual((await req('orgB', 'GET', `/api/v1/orgs/${bId}/providers`)).json().providers, []);
    // B's audit has nothing of A's providers.
    const bEvents = await engine.audit.list(bId);
    assert.ok(!JSON.stringify(bEvents).includes(provider.id));
  });

  test('without a token every route is refused', async () => {
    for (const r of routes()) {
      const res = await req('none', r.method, r.url, 'body' in r ? r.body : undefined);
      assert.ok([401, 404].includes(res.statusCode), `${r.name} anonymous: ${res.statusCode}`);
    }
  });

  test('viewers and deployers may read but not change providers', async () => {
    for (const who of ['viewer', 'deployer'] as const) {
      for (const r of routes()) {
        const res = await req(who, r.method, r.url, 'body' in r ? r.body : undefined);
        if (r.min === 'viewer') assert.equal(res.statusCode, 200, `${r.name} as ${who}: ${res.body}`);
        else {
          assert.equal(res.statusCode, 403, `${r.name} as ${who}: ${res.body}`);
          assert.equal(res.json().code, 'AUTH_FORBIDDEN');
        }
      }
    }
    const listed = (await req('viewer', 'GET', `/api/v1/orgs/${orgA}/providers`)).json();
    assert.deepEqual(listed.providers.map((p: { name: string }) => p.name), ['prod']);
    assert.equal(listed.providers[0].status, 'verified', 'nothing a deployer tried changed it');
    assert.equal(listed.providers[0].links.length, 1);
  });

  test('admins may do everything, each change audited', async () => {
    for (const r of routes()) {
      const res = await req('admin', r.method, r.url, 'body' in r ? r.body : undefined);
      assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${r.name} as admin: ${res.statusCode} ${res.body}`);
    }
    const kinds = (await engine.audit.list(orgA)).filter((e) => e.actor === 'token:admin-token' || e.actor.includes('admin')).map((e) => e.kind);
    for (const k of ['provider.created', 'provider.updated', 'provider.verified', 'provider.linked', 'provider.unlinked', 'provider.deleted']) {
      assert.ok(kinds.includes(k), `audited ${k}: ${kinds.join(', ')}`);
    }
    assert.equal((await req('admin', 'GET', `/api/v1/orgs/${orgA}/providers/${provider.id}`)).statusCode, 404, 'deleted');
    const left = await engine.db.selectFrom('provider_links').selectAll().where('provider_id', '=', provider.id).execute();
    assert.deepEqual(left, [], 'its links went with it');
  });
});

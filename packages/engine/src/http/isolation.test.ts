import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { createTestEngine, type TestEngine } from '../testing.js';
import type { RouteInfo } from '../engine.js';

// Walks every route every feature registered (engine.routes is filled by an onRoute hook), so
// routes added later by any engineer are covered without touching this file.
let engine: TestEngine;
let a: NonNullable<TestEngine['seed']>;
let b: { orgId: string; token: string; byRole: string[] };
let viewerA: string;
let both: string;

before(async () => {
  engine = await createTestEngine();
  a = engine.seed!;
  const beta = await engine.bootstrap.createOrg({ name: 'beta', owner: { email: 'bob@beta.example' } });
  b = { orgId: beta.org.id, token: beta.token.token, byRole: [] };
  for (const role of ['admin', 'deployer', 'viewer'] as const) {
    const u = await engine.bootstrap.createUser({ email: `${role}@beta.example` });
    await engine.bootstrap.addMember(b.orgId, u.id, role);
    b.byRole.push((await engine.bootstrap.createToken(b.orgId, u.id, role)).token);
  }
  const viewer = await engine.bootstrap.createUser({ email: 'val@example.com' });
  await engine.bootstrap.addMember(a.org.id, viewer.id, 'viewer');
  viewerA = (await engine.bootstrap.createToken(a.org.id, viewer.id, 'viewer')).token;
  // Alice is a member of both orgs; a token she made in beta must still not open acme.
  await engine.bootstrap.addMember(b.orgId, a.owner.id, 'owner');
  both = (await engine.bootstrap.createToken(b.orgId, a.owner.id, 'alice-in-beta')).token;
});
after(() => engine?.close());

const orgRoutes = (): RouteInfo[] => engine.routes.filter((r) => r.method !== 'HEAD' && r.url.startsWith('/api/v1/orgs/:orgId'));

function fill(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => {
    if (name === 'orgId') return a.org.id;
    if (name === 'userId') return a.owner.id;
    if (name === 'tokenId') return a.token.id;
    if (name === 'sha256') return 'a'.repeat(64);
    return `x${name}`;
  }).replace(/\*$/, 'x');
}

function request(r: RouteInfo, token: string | undefined, withBody: boolean): InjectOptions {
  const mutating = !['GET', 'HEAD', 'OPTIONS'].includes(r.method);
  return {
    method: r.method as InjectOptions['method'],
    url: fill(r.url),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(mutating && withBody ? { payload: {} } : {}),
  };
}

const secretsOfA = () => [a.org.name, a.owner.email, a.token.id, a.token.prefix, a.token.token];

test('the walk sees the platform routes and the other features\' routes', () => {
  const urls = orgRoutes().map((r) => `${r.method} ${r.url}`);
  for (const expected of ['GET /api/v1/orgs/:orgId', 'POST /api/v1/orgs/:orgId/tokens', 'GET /api/v1/orgs/:orgId/audit']) {
    assert.ok(urls.includes(expected), `${expected} missing from ${urls.join(', ')}`);
  }
});

test('org B\'s tokens, of every role, on every org A route answer 404 NOT_FOUND and show nothing of A', async () => {
  const auditBefore = await engine.audit.verifyChain(a.org.id);
  for (const token of [b.token, ...b.byRole, both]) {
    for (const r of orgRoutes()) {
      const res = await engine.app.inject(request(r, token, true));
      assert.equal(res.statusCode, 404, `${r.method} ${r.url}: ${res.statusCode} ${res.body}`);
      assert.equal(res.json().code, 'NOT_FOUND', `${r.method} ${r.url}`);
      for (const s of secretsOfA()) assert.ok(!res.body.includes(s), `${r.method} ${r.url} revealed ${s}`);
    }
  }
  assert.deepEqual(await engine.audit.verifyChain(a.org.id), auditBefore, 'nothing was written to A');
  assert.equal((await engine.app.inject({ url: '/api/v1/whoami', headers: engine.auth(a.token) })).statusCode, 200, 'A\'s token still works');
});

test('an org that does not exist answers exactly like one you are not in', async () => {
  const unknown = await engine.app.inject({ url: '/api/v1/orgs/org_doesnotexist0000/members', headers: { authorization: `Bearer ${b.token}` } });
  const foreign = await engine.app.inject({ url: `/api/v1/orgs/${a.org.id}/members`, headers: { authorization: `Bearer ${b.token}` } });
  assert.equal(unknown.statusCode, foreign.statusCode);
  assert.equal(unknown.json().message.replace('org_doesnotexist0000', 'X'), foreign.json().message.replace(a.org.id, 'X'));
});

test('without credentials every API route except the public ones answers 401', async () => {
  for (const r of engine.routes.filter((x) => x.method !== 'HEAD' && x.url.startsWith('/api/v1/'))) {
    if (r.url === '/api/v1/session') continue; // the dashboard's sign-in, public by design
    if (r.url === '/api/v1/invitations/accept' || r.url === '/api/v1/ci/exchange') continue; // redeem a code / an OIDC token: public by design
    const res = await engine.app.inject(request(r, undefined, true));
    assert.equal(res.statusCode, 401, `${r.method} ${r.url}: ${res.statusCode} ${res.body}`);
    assert.equal(res.json().code, 'AUTH_REQUIRED');
  }
});

// Viewers may revoke their own tokens; everything else that changes state needs a higher role.
const viewerMayChange = new Set(['DELETE /api/v1/orgs/:orgId/tokens/:tokenId']);

test('a viewer of org A gets 403 AUTH_FORBIDDEN on every route that changes something', async () => {
  const failures: string[] = [];
  for (const r of orgRoutes()) {
    if (['GET', 'HEAD'].includes(r.method) || viewerMayChange.has(`${r.method} ${r.url}`)) continue;
    const res = await engine.app.inject(request(r, viewerA, false));
    if (res.statusCode !== 403 || res.json().code !== 'AUTH_FORBIDDEN') failures.push(`${r.method} ${r.url}: ${res.statusCode} ${res.body.slice(0, 160)}`);
  }
  assert.deepEqual(failures, []);
});

// A token is bound to its org; a dashboard session signed in with it should be too, or a leaked CI
// token of a user who belongs to several orgs opens all of them through POST /api/v1/session.
// A leaked CI token must not open its user's other orgs through a dashboard session.
test('a dashboard session made from a token opens only that token\'s org', async () => {
  const signIn = await engine.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: both } });
  assert.equal(signIn.statusCode, 200, signIn.body);
  const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
  const own = await engine.app.inject({ url: `/api/v1/orgs/${b.orgId}/members`, headers: { cookie } });
  assert.equal(own.statusCode, 200);
  const other = await engine.app.inject({ url: `/api/v1/orgs/${a.org.id}/members`, headers: { cookie } });
  assert.equal(other.statusCode, 404, 'a session from a token issued in beta opened acme');
});

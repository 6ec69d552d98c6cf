import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine, type TestEngine } from '../testing.js';
import type { Role } from '../types.js';

let engine: TestEngine;
const tokens: Partial<Record<Role, string>> = {};
const users: Partial<Record<Role, string>> = {};
let orgId: string;

before(async () => {
  engine = await createTestEngine();
  orgId = engine.seed!.org.id;
  tokens.owner = engine.seed!.token.token;
  users.owner = engine.seed!.owner.id;
  for (const role of ['admin', 'deployer', 'viewer'] as const) {
    const u = await engine.bootstrap.createUser({ email: `${role}@example.com`, name: role });
    await engine.bootstrap.addMember(orgId, u.id, role);
    tokens[role] = (await engine.bootstrap.createToken(orgId, u.id, `${role}-token`)).token;
    users[role] = u.id;
  }
});
after(() => engine?.close());

function call(role: Role, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, payload?: object) {
  return engine.app.inject({ method, url: `/api/v1/orgs/${orgId}${path}`, headers: { authorization: `Bearer ${tokens[role]}` }, ...(payload ? { payload } : {}) });
}

test('a viewer reads but cannot create a token or a member: 403 AUTH_FORBIDDEN naming the role needed', async () => {
  assert.equal((await call('viewer', 'GET', '/members')).statusCode, 200);
  assert.equal((await call('viewer', 'GET', '')).json().org.role, 'viewer');
  const t = await call('viewer', 'POST', '/tokens', { name: 'mine' });
  assert.equal(t.statusCode, 403);
  assert.equal(t.json().code, 'AUTH_FORBIDDEN');
  assert.match(t.json().message, /"viewer".*"deployer"/);
  const m = await call('viewer', 'POST', '/members', { email: 'x@example.com', role: 'viewer' });
  assert.equal(m.statusCode, 403);
  assert.equal(m.json().code, 'AUTH_FORBIDDEN');
});

test('the role is checked before the body: a viewer with a bad body still gets 403', async () => {
  const r = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/members`, headers: { authorization: `Bearer ${tokens.viewer}`, 'content-type': 'application/json' }, payload: '{"email": 3}' });
  assert.equal(r.statusCode, 403);
});

test('a deployer creates their own token but cannot add members', async () => {
  assert.equal((await call('deployer', 'POST', '/tokens', { name: 'ci' })).statusCode, 201);
  assert.equal((await call('deployer', 'POST', '/members', { email: 'y@example.com', role: 'viewer' })).statusCode, 403);
});

test('an admin invites members up to admin (POST /members invites); only an owner grants owner; a member twice is a conflict', async () => {
  const added = await call('admin', 'POST', '/members', { email: 'New.Person@Example.com', name: 'New Person', role: 'deployer' });
  assert.equal(added.statusCode, 201, added.body);
  assert.equal(added.json().invitation.email, 'new.person@example.com');
  assert.equal(added.json().invitation.role, 'deployer');
  const accepted = await engine.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { code: added.json().code } });
  assert.equal(accepted.statusCode, 201, accepted.body);
  const owner = await call('admin', 'POST', '/members', { email: 'boss@example.com', role: 'owner' });
  assert.equal(owner.statusCode, 403);
  const again = await call('admin', 'POST', '/members', { email: 'new.person@example.com', role: 'viewer' });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 'CONFLICT');
  const byOwner = await call('owner', 'POST', '/members', { email: 'co-owner@example.com', role: 'owner' });
  assert.equal(byOwner.statusCode, 201);
  await engine.app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { code: byOwner.json().code } });
  const members = (await call('viewer', 'GET', '/members')).json().members as Array<{ email: string; role: string }>;
  assert.deepEqual(members.find((m) => m.email === 'co-owner@example.com')?.role, 'owner');
  const kinds = (await engine.audit.list(orgId, { kind: 'member.invited' })).map((e) => e.actor);
  assert.ok(kinds.includes('token:admin-token') && kinds.includes('token:owner'));
});

test('invalid member bodies name the field', async () => {
  const r = await call('admin', 'POST', '/members', { email: 'not-an-email', role: 'god', extra: 1 });
  assert.equal(r.statusCode, 400);
  const msg = r.json().message as string;
  assert.equal(r.json().code, 'VALIDATION_FAILED');
  assert.match(msg, /body\.email: expected an email address/);
  assert.match(msg, /body\.role: expected one of owner, admin, deployer, viewer/);
  assert.match(msg, /extra/);
});

test('admins list everyone\'s tokens, others only their own; a deployer cannot revoke another\'s token, an admin can', async () => {
  const all = (await call('admin', 'GET', '/tokens')).json().tokens as Array<{ userId: string; id: string; name: string }>;
  assert.ok(new Set(all.map((t) => t.userId)).size >= 4);
  const own = (await call('deployer', 'GET', '/tokens')).json().tokens as Array<{ userId: string }>;
  assert.ok(own.length >= 1 && own.every((t) => t.userId === users.deployer));
  const viewerToken = all.find((t) => t.name === 'viewer-token')!;
  assert.equal((await call('deployer', 'DELETE', `/tokens/${viewerToken.id}`)).statusCode, 403);
  assert.equal((await call('admin', 'DELETE', `/tokens/${viewerToken.id}`)).statusCode, 200);
  assert.equal((await call('viewer', 'GET', '/members')).statusCode, 401);
  tokens.viewer = (await engine.bootstrap.createToken(orgId, users.viewer!, 'viewer-token-2')).token;
});

test('the last owner cannot be demoted or removed; removing a member revokes their tokens', async () => {
  const u = await engine.bootstrap.createUser({ email: 'solo@example.com' });
  const solo = await engine.bootstrap.createOrg({ name: 'solo', owner: { email: 'solo@example.com' } });
  assert.equal(solo.user.id, u.id, 'an existing user is reused by email');
  const demote = await engine.app.inject({ method: 'PATCH', url: `/api/v1/orgs/${solo.org.id}/members/${u.id}`, headers: engine.auth(solo.token), payload: { role: 'admin' } });
  assert.equal(demote.statusCode, 409);
  assert.match(demote.json().message, /last owner/);

  const leaving = await engine.bootstrap.createUser({ email: 'leaving@example.com' });
  await engine.bootstrap.addMember(orgId, leaving.id, 'deployer');
  const t = await engine.bootstrap.createToken(orgId, leaving.id, 'old');
  assert.equal((await engine.app.inject({ url: '/api/v1/whoami', headers: engine.auth(t) })).statusCode, 200);
  const removed = await call('admin', 'DELETE', `/members/${leaving.id}`);
  assert.equal(removed.statusCode, 204);
  assert.equal((await engine.app.inject({ url: '/api/v1/whoami', headers: engine.auth(t) })).statusCode, 401);
  const kinds = (await engine.audit.list(orgId, { limit: 5 })).map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 2), ['token.revoked', 'member.removed']);
  const promote = await call('admin', 'PATCH', `/members/${users.deployer}`, { role: 'admin' });
  assert.equal(promote.statusCode, 200);
  assert.equal(promote.json().member.role, 'admin');
  assert.deepEqual(await engine.audit.verifyChain(orgId), { ok: true, count: (await engine.audit.list(orgId, { limit: 500 })).length });
});

test('an admin can neither demote nor remove an owner, nor promote anyone to owner', async () => {
  assert.equal((await call('admin', 'PATCH', `/members/${users.owner}`, { role: 'viewer' })).statusCode, 403);
  assert.equal((await call('admin', 'DELETE', `/members/${users.owner}`)).statusCode, 403);
  const promote = await call('admin', 'PATCH', `/members/${users.viewer}`, { role: 'owner' });
  assert.equal(promote.statusCode, 403);
  assert.equal(promote.json().code, 'AUTH_FORBIDDEN');
  const members = (await call('owner', 'GET', '/members')).json().members as Array<{ id: string; role: string }>;
  assert.equal(members.find((m) => m.id === users.owner)?.role, 'owner');
  assert.equal(members.find((m) => m.id === users.viewer)?.role, 'viewer');
});

test('whoami lists the orgs and roles; GET /orgs lists mine', async () => {
  const who = await engine.app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${tokens.viewer}` } });
  assert.deepEqual(who.json().orgs.map((o: { name: string; role: string }) => [o.name, o.role]), [['acme', 'viewer']]);
  assert.equal(who.json().user.email, 'viewer@example.com');
  const orgs = await engine.app.inject({ url: '/api/v1/orgs', headers: engine.auth(engine.seed!.token) });
  assert.deepEqual(orgs.json().orgs.map((o: { id: string }) => o.id), [orgId]);
});

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import { INVITATION_TTL_MS } from './index.js';

for (const { kind, skip } of testDatabases()) {
  describe(`invitations on ${kind}`, { skip }, () => {
    let engine: TestEngine;
    let offsetMs = 0;
    const clock = { now: () => new Date(Date.now() + offsetMs) };
    before(async () => { engine = await createTestEngine({ database: kind, clock }); });
    after(() => engine?.close());

    const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string | undefined, payload?: object) =>
      engine.app.inject({ method, url, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}), ...(payload ? { payload } : {}) });
    const base = () => `/api/v1/orgs/${engine.seed!.org.id}`;
    const owner = () => engine.seed!.token.token;
    const invite = async (email: string, role = 'deployer', token = owner()) => {
      const r = await inject('POST', `${base()}/invitations`, token, { email, role });
      assert.equal(r.statusCode, 201, r.body);
      return r.json() as { invitation: { id: string; email: string; status: string; expiresAt: string }; code: string };
    };
    const accept = (code: string, extra: object = {}) => inject('POST', '/api/v1/invitations/accept', undefined, { code, ...extra });
    const counts = async () => ({
      users: (await engine.db.selectFrom('users').select('id').execute()).length,
      memberships: (await engine.db.selectFrom('memberships').select('user_id').execute()).length,
      tokens: (await engine.db.selectFrom('api_tokens').select('id').execute()).length,
    });

    test('an invitation is redeemed once for the new member\'s own token; the code is stored hashed; every step audited', async () => {
      const { invitation, code } = await invite('Bob@Example.com');
      assert.match(code, /^hgi_[A-Za-z0-9_-]{40,}$/);
      assert.equal(invitation.email, 'bob@example.com');
      assert.equal(invitation.status, 'pending');
      const days = (Date.parse(invitation.expiresAt) - clock.now().getTime()) / 86_400_000;
      assert.ok(days > 6.99 && days <= 7, `expires in ${days} days`);
      const row = await engine.db.selectFrom('invitations').selectAll().where('id', '=', invitation.id).executeTakeFirstOrThrow();
      assert.equal(row.code_hash, createHash('sha256').update(code).digest('hex'));
      assert.ok(!JSON.stringify(await engine.db.selectFrom('invitations').selectAll().execute()).includes(code));

      const pending = await inject('GET', `${base()}/invitations`, owner());
      assert.deepEqual(pending.json().invitations.map((i: { id: string }) => i.id).includes(invitation.id), true);
      assert.ok(!pending.body.includes(code));

      const ok = await accept(code, { name: 'Bob' });
      assert.equal(ok.statusCode, 201, ok.body);
      const got = ok.json();
      assert.equal(got.role, 'deployer');
      assert.equal(got.org.id, engine.seed!.org.id);
      assert.equal(got.user.email, 'bob@example.com');
      assert.match(got.token.token, /^hgr_/);
      const who = await inject('GET', '/api/v1/whoami', got.token.token);
      assert.equal(who.statusCode, 200);
      assert.equal(who.json().user.email, 'bob@example.com');
      assert.equal(who.json().orgs[0].role, 'deployer');

      const before = await counts();
      const again = await accept(code);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'INVITATION_USED');
      assert.deepEqual(await counts(), before, 'a reused code wrote nothing');
      assert.equal((await inject('GET', `${base()}/invitations`, owner())).json().invitations.some((i: { id: string }) => i.id === invitation.id), false);

      const kinds = (await engine.audit.list(engine.seed!.org.id)).map((e) => `${e.kind} ${e.actor}`);
      assert.ok(kinds.includes('member.invited token:owner'), kinds.join('\n'));
      assert.ok(kinds.includes('invitation.accepted user:bob@example.com'), kinds.join('\n'));
      assert.ok(kinds.includes('member.added user:bob@example.com'), kinds.join('\n'));
      assert.ok(!JSON.stringify(await engine.audit.list(engine.seed!.org.id)).includes(code), 'the code reached the audit log');
      assert.ok(!engine.logs.join('\n').includes(code), 'the code reached the log');
      assert.deepEqual((await engine.audit.verifyChain(engine.seed!.org.id)).ok, true);
    });

    test('an expired invitation is refused (clock moved past 7 days) and writes nothing', async () => {
      const { code } = await invite('late@example.com');
      offsetMs += INVITATION_TTL_MS + 1000;
      try {
        const before = await counts();
        const r = await accept(code);
        assert.equal(r.statusCode, 410);
        assert.equal(r.json().code, 'INVITATION_EXPIRED');
        assert.deepEqual(await counts(), before);
      } finally { offsetMs = 0; }
    });

    test('a revoked invitation is refused; revoking is audited and admin-only', async () => {
      const { invitation, code } = await invite('gone@example.com');
      const viewer = await engine.bootstrap.createUser({ email: 'v@example.com' });
      await engine.bootstrap.addMember(engine.seed!.org.id, viewer.id, 'viewer');
      const vt = (await engine.bootstrap.createToken(engine.seed!.org.id, viewer.id, 'v')).token;
      assert.equal((await inject('DELETE', `${base()}/invitations/${invitation.id}`, vt)).statusCode, 403);
      assert.equal((await inject('GET', `${base()}/invitations`, vt)).statusCode, 403);
      assert.equal((await inject('POST', `${base()}/invitations`, vt, { email: 'x@example.com', role: 'viewer' })).statusCode, 403);
      const r = await inject('DELETE', `${base()}/invitations/${invitation.id}`, owner());
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().invitation.status, 'revoked');
      const before = await counts();
      const refused = await accept(code);
      assert.equal(refused.statusCode, 410);
      assert.equal(refused.json().code, 'INVITATION_REVOKED');
      assert.deepEqual(await counts(), before);
      const kinds = (await engine.audit.list(engine.seed!.org.id, { kind: 'invitation.revoked' })).map((e) => e.subject);
      assert.deepEqual(kinds, [`invitation:${invitation.id}`]);
    });

    test('an unknown or malformed code is refused with INVITATION_NOT_FOUND', async () => {
      for (const code of [`hgi_${'a'.repeat(43)}`, 'nonsense']) {
        const r = await accept(code);
        assert.equal(r.statusCode, 404, r.body);
        assert.equal(r.json().code, 'INVITATION_NOT_FOUND');
      }
      const bad = await inject('POST', '/api/v1/invitations/accept', undefined, { code: 1 });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().message, /body\.code/);
    });

    test('inviting a user of another org reveals nothing about them, through /invitations and /members alike, until they accept', async () => {
      const other = await engine.bootstrap.createOrg({ name: `other-${kind}`, owner: { email: 'carol@other.dev', name: 'Carol Secret' } });
      const fresh = await inject('POST', `${base()}/members`, owner(), { email: 'nobody-yet@example.com', role: 'viewer' });
      for (const path of ['/invitations', '/members']) {
        const r = await inject('POST', `${base()}${path}`, owner(), { email: 'carol@other.dev', role: 'viewer' });
        assert.equal(r.statusCode, 201, r.body);
        for (const secret of [other.user.id, 'Carol Secret', other.user.createdAt, other.org.id, other.org.name]) {
          assert.ok(!r.body.includes(secret), `${path} revealed ${secret}: ${r.body}`);
        }
        // Same shape as for an email nobody has used.
        assert.deepEqual(Object.keys(r.json()).sort(), Object.keys(fresh.json()).sort());
        assert.deepEqual(Object.keys(r.json().invitation).sort(), Object.keys(fresh.json().invitation).sort());
        const pending = await inject('GET', `${base()}/invitations`, owner());
        assert.ok(!pending.body.includes(other.user.id) && !pending.body.includes('Carol Secret'));
      }
      // Not a member before accepting: not listed, and her own token cannot see this org.
      const members = await inject('GET', `${base()}/members`, owner());
      assert.ok(!members.body.includes('carol@other.dev'));
      assert.ok(!(await engine.audit.list(engine.seed!.org.id)).some((e) => JSON.stringify(e).includes(other.user.id)), 'the audit log names her user id before she accepted');

      const invited = await inject('POST', `${base()}/invitations`, owner(), { email: 'carol@other.dev', role: 'deployer' });
      // The code alone (which the inviting admin has seen) does not add an existing account, nor
      // does another account's credential: only Carol, signed in, consents.
      const before = await counts();
      for (const token of [undefined, owner()]) {
        const r = await inject('POST', '/api/v1/invitations/accept', token, { code: invited.json().code });
        assert.equal(r.statusCode, 401, r.body);
        assert.equal(r.json().code, 'INVITATION_SIGN_IN_REQUIRED');
        for (const secret of [other.user.id, 'Carol Secret', other.user.createdAt]) assert.ok(!r.body.includes(secret), r.body);
      }
      assert.deepEqual(await counts(), before);
      const ok = await inject('POST', '/api/v1/invitations/accept', other.token.token, { code: invited.json().code });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.equal(ok.json().user.id, other.user.id, 'the existing user joins (with consent, by redeeming the code)');
      const newToken = ok.json().token.token as string;
      const mine = await inject('GET', `/api/v1/orgs/${other.org.id}/members`, newToken);
      assert.equal(mine.statusCode, 404, 'the new token is bound to the inviting org only');
      const after = await inject('GET', `${base()}/members`, owner());
      assert.ok(after.body.includes('carol@other.dev'));
    });

    test('only an owner invites an owner; inviting a current member is a conflict; bad bodies name the field', async () => {
      const admin = await engine.bootstrap.createUser({ email: 'adm@example.com' });
      await engine.bootstrap.addMember(engine.seed!.org.id, admin.id, 'admin');
      const at = (await engine.bootstrap.createToken(engine.seed!.org.id, admin.id, 'a')).token;
      const asOwner = await inject('POST', `${base()}/invitations`, at, { email: 'boss@example.com', role: 'owner' });
      assert.equal(asOwner.statusCode, 403);
      const dup = await inject('POST', `${base()}/invitations`, at, { email: 'alice@example.com', role: 'viewer' });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json().code, 'CONFLICT');
      const bad = await inject('POST', `${base()}/members`, at, { email: 'not-an-email', role: 'god' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().message, /body\.email: expected an email address/);
      assert.match(bad.json().message, /body\.role: expected one of owner, admin, deployer, viewer/);
    });

    test('the same code redeemed twice at once: exactly one wins', async () => {
      const { code } = await invite('race@example.com');
      const results = await Promise.all([accept(code), accept(code), accept(code)]);
      const statuses = results.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [201, 409, 409], results.map((r) => r.body).join('\n'));
      for (const r of results.filter((x) => x.statusCode === 409)) assert.equal(r.json().code, 'INVITATION_USED');
      const tokens = await engine.db.selectFrom('api_tokens').innerJoin('users', 'users.id', 'api_tokens.user_id').select('api_tokens.id').where('users.email', '=', 'race@example.com').execute();
      assert.equal(tokens.length, 1);
    });

    test('two invitations of one email: the second acceptance is refused and writes nothing', async () => {
      const a = await invite('twice@example.com');
      const b = await invite('twice@example.com', 'viewer');
      const first = await accept(a.code);
      assert.equal(first.statusCode, 201);
      const before = await counts();
      const r = await inject('POST', '/api/v1/invitations/accept', first.json().token.token, { code: b.code });
      assert.equal(r.statusCode, 409);
      assert.equal(r.json().code, 'CONFLICT');
      assert.deepEqual(await counts(), before);
      const rows = await engine.db.selectFrom('invitations').select(['accepted_at']).where('id', '=', b.invitation.id).executeTakeFirstOrThrow();
      assert.equal(rows.accepted_at, null, 'the refused invitation is still pending');
    });
  });
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import type { Clock } from '../types.js';
import { hashSecret, SESSION_COOKIE } from './secrets.js';

function cookieOf(setCookie: string | string[] | undefined): string {
  const raw = [setCookie ?? []].flat()[0] ?? '';
  return raw.split(';')[0]!;
}

for (const { kind, skip } of testDatabases()) {
  describe(`dashboard sessions (${kind})`, { skip }, () => {
    let engine: TestEngine;
    let now = new Date('2026-01-01T10:00:00Z');
    const clock: Clock = { now: () => now };
    before(async () => { engine = await createTestEngine({ database: kind, clock }); });
    after(async () => { await engine?.close(); });

    async function signIn(token: string) {
      const res = await engine.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token } });
      assert.equal(res.statusCode, 200, res.body);
      return { res, cookie: cookieOf(res.headers['set-cookie']), csrf: res.json().csrfToken as string };
    }

    test('signing in with an API token sets an httpOnly, SameSite=Strict cookie and answers the user, orgs and CSRF token', async () => {
      const { res, cookie, csrf } = await signIn(engine.seed!.token.token);
      const setCookie = String(res.headers['set-cookie']);
      assert.match(setCookie, new RegExp(`^${SESSION_COOKIE}=hs_`));
      assert.match(setCookie, /; HttpOnly/);
      assert.match(setCookie, /; SameSite=Strict/);
      assert.match(setCookie, /; Path=\//);
      assert.match(setCookie, /; Max-Age=43200/);
      const body = res.json();
      assert.equal(body.user.email, 'alice@example.com');
      assert.deepEqual(body.orgs.map((o: { name: string; role: string }) => [o.name, o.role]), [['acme', 'owner']]);
      assert.ok(csrf.length >= 40);
      // Only a hash of the cookie's secret is stored.
      const secret = decodeURIComponent(cookie.split('=')[1]!);
      const rows = await engine.db.selectFrom('sessions').selectAll().execute();
      assert.ok(rows.length >= 1);
      assert.ok(rows.some((r) => r.secret_hash === hashSecret(secret)));
      assert.ok(!JSON.stringify(rows).includes(secret));
      assert.ok(!engine.logs.join('\n').includes(secret));
      assert.ok(!engine.logs.join('\n').includes(engine.seed!.token.token));

      const me = await engine.app.inject({ url: '/api/v1/session', headers: { cookie } });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().csrfToken, csrf);
    });

    test('a wrong token is refused with AUTH_REQUIRED and no cookie', async () => {
      const res = await engine.app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'hgr_not-a-real-token-000000000000000000000000' } });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().code, 'AUTH_REQUIRED');
      assert.equal(res.headers['set-cookie'], undefined);
    });

    test('cookie requests read freely but every change needs the CSRF token; Bearer requests do not', async () => {
      const { cookie, csrf } = await signIn(engine.seed!.token.token);
      const base = `/api/v1/orgs/${engine.seed!.org.id}`;
      const list = await engine.app.inject({ url: `${base}/tokens`, headers: { cookie } });
      assert.equal(list.statusCode, 200, list.body);

      const noCsrf = await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers: { cookie }, payload: { name: 'from-dashboard' } });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().code, 'AUTH_CSRF');
      const wrong = await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers: { cookie, 'x-csrf-token': csrf.slice(0, -2) + 'xx' }, payload: { name: 'from-dashboard' } });
      assert.equal(wrong.json().code, 'AUTH_CSRF');
      const otherSite = await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers: { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example' }, payload: { name: 'from-dashboard' } });
      assert.equal(otherSite.json().code, 'AUTH_CSRF');

      const ok = await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'from-dashboard' } });
      assert.equal(ok.statusCode, 201, ok.body);
      const audit = await engine.app.inject({ url: `${base}/audit?kind=token.created`, headers: engine.auth(engine.seed!.token) });
      assert.equal(audit.json().events[0].actor, 'user:alice@example.com');

      const bearer = await engine.app.inject({ method: 'POST', url: `${base}/tokens`, headers: engine.auth(engine.seed!.token), payload: { name: 'from-cli' } });
      assert.equal(bearer.statusCode, 201, bearer.body);
    });

    test('another org answers 404 to a session, as it does to a token', async () => {
      const other = await engine.bootstrap.createOrg({ name: `other-${kind}`, owner: { email: `bob-${kind}@example.com` } });
      const { cookie } = await signIn(engine.seed!.token.token);
      const res = await engine.app.inject({ url: `/api/v1/orgs/${other.org.id}/providers`, headers: { cookie } });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().code, 'NOT_FOUND');
      assert.ok(!res.body.includes(`other-${kind}`));
    });

    test('a session opens only the orgs whose tokens signed in to it; signing in with another org\'s token adds that org', async () => {
      const second = await engine.bootstrap.createOrg({ name: `second-${kind}`, owner: { email: `carol-${kind}@example.com` } });
      await engine.bootstrap.addMember(second.org.id, engine.seed!.owner.id, 'viewer');
      const secondToken = await engine.bootstrap.createToken(second.org.id, engine.seed!.owner.id, `alice-second-${kind}`);
      const { res, cookie, csrf } = await signIn(engine.seed!.token.token);
      assert.deepEqual(res.json().orgs.map((o: { id: string }) => o.id), [engine.seed!.org.id]);
      // A member of `second`, but this session was made with an acme token: second stays closed.
      const closed = await engine.app.inject({ url: `/api/v1/orgs/${second.org.id}/members`, headers: { cookie } });
      assert.equal(closed.statusCode, 404);

      const added = await engine.app.inject({ method: 'POST', url: '/api/v1/session', headers: { cookie }, payload: { token: secondToken.token } });
      assert.equal(added.statusCode, 200, added.body);
      assert.equal(cookieOf(added.headers['set-cookie']), cookie, 'the same session, not a new one');
      const orgs = added.json().orgs as { id: string; role: string }[];
      assert.deepEqual(orgs.map((o) => o.id).sort(), [engine.seed!.org.id, second.org.id].sort());
      assert.equal(orgs.find((o) => o.id === second.org.id)?.role, 'viewer');
      assert.equal((await engine.app.inject({ url: `/api/v1/orgs/${second.org.id}/members`, headers: { cookie } })).statusCode, 200);
      const refused = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${second.org.id}/tokens`, headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'nope' } });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'AUTH_FORBIDDEN');

      // Revoking the second org's token closes that org again, and only that one.
      await engine.app.inject({ method: 'DELETE', url: `/api/v1/orgs/${second.org.id}/tokens/${secondToken.id}`, headers: engine.auth(second.token) });
      assert.equal((await engine.app.inject({ url: `/api/v1/orgs/${second.org.id}/members`, headers: { cookie } })).statusCode, 404);
      assert.equal((await engine.app.inject({ url: `/api/v1/orgs/${engine.seed!.org.id}/members`, headers: { cookie } })).statusCode, 200);
    });

    test('another user\'s token never joins a session: it starts a new one', async () => {
      const other = await engine.bootstrap.createOrg({ name: `third-${kind}`, owner: { email: `dave-${kind}@example.com` } });
      const { cookie } = await signIn(engine.seed!.token.token);
      const res = await engine.app.inject({ method: 'POST', url: '/api/v1/session', headers: { cookie }, payload: { token: other.token.token } });
      assert.equal(res.statusCode, 200);
      assert.notEqual(cookieOf(res.headers['set-cookie']), cookie);
      assert.deepEqual(res.json().orgs.map((o: { id: string }) => o.id), [other.org.id]);
      const mine = await engine.app.inject({ url: '/api/v1/session', headers: { cookie } });
      assert.deepEqual(mine.json().orgs.map((o: { id: string }) => o.id), [engine.seed!.org.id]);
    });

    test('signing out ends the session and clears the cookie; it needs the CSRF token', async () => {
      const { cookie, csrf } = await signIn(engine.seed!.token.token);
      const refused = await engine.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
      assert.equal(refused.json().code, 'AUTH_CSRF');
      const out = await engine.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': csrf } });
      assert.equal(out.statusCode, 204);
      assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
      const me = await engine.app.inject({ url: '/api/v1/session', headers: { cookie } });
      assert.equal(me.statusCode, 401);
      const api = await engine.app.inject({ url: `/api/v1/orgs/${engine.seed!.org.id}/tokens`, headers: { cookie } });
      assert.equal(api.statusCode, 401);
    });

    test('revoking the token a session signed in with ends the session', async () => {
      const t = await engine.bootstrap.createToken(engine.seed!.org.id, engine.seed!.owner.id, `laptop-${kind}`);
      const { cookie } = await signIn(t.token);
      await engine.app.inject({ method: 'DELETE', url: `/api/v1/orgs/${engine.seed!.org.id}/tokens/${t.id}`, headers: engine.auth(engine.seed!.token) });
      const me = await engine.app.inject({ url: '/api/v1/session', headers: { cookie } });
      assert.equal(me.statusCode, 401);
    });

    test('a session expires after twelve hours', async () => {
      const { cookie } = await signIn(engine.seed!.token.token);
      now = new Date(now.getTime() + 12 * 3600_000 + 1000);
      const me = await engine.app.inject({ url: '/api/v1/session', headers: { cookie } });
      assert.equal(me.statusCode, 401);
      assert.equal(me.json().code, 'AUTH_REQUIRED');
    });
  });
}

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';

for (const { kind, skip } of testDatabases()) {
  describe(`API token lifecycle on ${kind}`, { skip }, () => {
    let engine: TestEngine;
    before(async () => { engine = await createTestEngine({ database: kind }); });
    after(() => engine?.close());

    const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, token: string | undefined, payload?: unknown) =>
      engine.app.inject({ method, url, ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}), ...(payload !== undefined ? { payload: payload as object } : {}) });

    test('a token is shown once, stored only as a hash, works, and once revoked gets 401', async () => {
      const { org, token: owner } = engine.seed!;
      const created = await inject('POST', `/api/v1/orgs/${org.id}/tokens`, owner.token, { name: 'ci-deploy' });
      assert.equal(created.statusCode, 201, created.body);
      const t = created.json().token as { id: string; token: string; prefix: string; name: string };
      assert.match(t.token, /^hgr_[A-Za-z0-9_-]{40,}$/);
      assert.equal(t.prefix, t.token.slice(0, 8));

      // Never again: the list carries neither the token nor its hash.
      const listed = await inject('GET', `/api/v1/orgs/${org.id}/tokens`, owner.token);
      assert.equal(listed.statusCode, 200);
      assert.ok(!listed.body.includes(t.token));
      assert.ok(!listed.body.includes('hash'));
      assert.ok(listed.json().tokens.some((x: { id: string }) => x.id === t.id));

      // At rest: the sha256, never the token, in any row of any platform table.
      const row = await engine.db.selectFrom('api_tokens').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
      assert.equal(row.hash, createHash('sha256').update(t.token).digest('hex'));
      for (const table of ['api_tokens', 'audit_events', 'users', 'orgs', 'memberships'] as const) {
        const rows = await engine.db.selectFrom(table).selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(t.token), `${table} holds the token`);
      }

      const who = await inject('GET', '/api/v1/whoami', t.token);
      assert.equal(who.statusCode, 200);
      assert.equal(who.json().actor.name, 'token:ci-deploy');
      assert.equal(who.json().actor.kind, 'token');
      const used = await engine.db.selectFrom('api_tokens').select('last_used_at').where('id', '=', t.id).executeTakeFirstOrThrow();
      assert.ok(used.last_used_at, 'last use recorded');

      const revoked = await inject('DELETE', `/api/v1/orgs/${org.id}/tokens/${t.id}`, t.token);
      assert.equal(revoked.statusCode, 200, revoked.body);
      assert.ok(revoked.json().token.revokedAt);
      for (const url of ['/api/v1/whoami', `/api/v1/orgs/${org.id}`]) {
        const after = await inject('GET', url, t.token);
        assert.equal(after.statusCode, 401);
        assert.equal(after.json().code, 'AUTH_REQUIRED');
      }

      const kinds = (await engine.audit.list(org.id)).map((e) => `${e.kind} ${e.actor} ${e.subject}`);
      assert.ok(kinds.includes(`token.created token:owner token:${t.id}`), kinds.join('\n'));
      assert.ok(kinds.includes(`token.revoked token:ci-deploy token:${t.id}`), kinds.join('\n'));
      assert.ok(!engine.logs.join('\n').includes(t.token), 'the token reached the log');
      assert.deepEqual(await engine.audit.verifyChain(org.id), { ok: true, count: (await engine.audit.list(org.id)).length });
    });

    test('unknown, malformed and missing credentials get 401 AUTH_REQUIRED', async () => {
      const { org } = engine.seed!;
      for (const token of [`hgr_${'a'.repeat(43)}`, 'not-a-token', undefined]) {
        const r = await inject('GET', `/api/v1/orgs/${org.id}/members`, token);
        assert.equal(r.statusCode, 401, `${token}: ${r.body}`);
        assert.equal(r.json().code, 'AUTH_REQUIRED');
        assert.match(r.json().message, /hangar login/);
      }
    });

    test('a second live token with the same name is refused; a revoked name can be reused', async () => {
      const { org, token: owner } = engine.seed!;
      const a = await inject('POST', `/api/v1/orgs/${org.id}/tokens`, owner.token, { name: 'laptop' });
      assert.equal(a.statusCode, 201);
      const b = await inject('POST', `/api/v1/orgs/${org.id}/tokens`, owner.token, { name: 'laptop' });
      assert.equal(b.statusCode, 409);
      assert.equal(b.json().code, 'CONFLICT');
      await inject('DELETE', `/api/v1/orgs/${org.id}/tokens/${a.json().token.id}`, owner.token);
      const c = await inject('POST', `/api/v1/orgs/${org.id}/tokens`, owner.token, { name: 'laptop' });
      assert.equal(c.statusCode, 201);
    });
  });
}

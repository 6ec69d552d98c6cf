import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openTestStore, testDatabases, type TestStore } from '../store/test-store.js';
import { migrateToLatest } from '../store/migrate.js';
import { orgsMigration } from '../orgs/tables.js';
import { auditMigration } from './tables.js';
import { createAudit, type Audit } from './audit.js';
import { createLogger } from '../logger.js';

const clock = { now: () => new Date('2026-01-02T03:04:05.000Z') };

for (const { kind, skip } of testDatabases()) {
  describe(`audit chain on ${kind}`, { skip }, () => {
    let store: TestStore;
    let audit: Audit;
    before(async () => {
      store = await openTestStore(kind);
      await migrateToLatest(store.db, { '0001_platform_orgs_users': orgsMigration, '0003_platform_audit': auditMigration });
      audit = createAudit(store.db, clock);
    });
    after(() => store?.cleanup());

    async function seedOrg(orgId: string, n: number) {
      for (let i = 1; i <= n; i++) {
        await audit.append({ orgId, kind: 'token.created', actor: 'token:ci', subject: `token:tok_${i}`, data: { i, nested: { b: 1, a: [i] } } });
      }
    }

    test('appends chain per org, list is newest first with filters, verify passes', async () => {
      await seedOrg('org_list', 5);
      await audit.append({ orgId: 'org_list', kind: 'member.added', actor: 'user:bob', data: { role: 'viewer' } });
      await seedOrg('org_other', 2);
      const events = await audit.list('org_list');
      assert.deepEqual(events.map((e) => e.seq), [6, 5, 4, 3, 2, 1]);
      assert.deepEqual(events[1]!.data, { i: 5, nested: { a: [5], b: 1 } });
      assert.deepEqual((await audit.list('org_list', { kind: 'member.added' })).map((e) => e.actor), ['user:bob']);
      assert.deepEqual((await audit.list('org_list', { actor: 'token:ci', limit: 2, before: 5 })).map((e) => e.seq), [4, 3]);
      assert.deepEqual(await audit.verifyChain('org_list'), { ok: true, count: 6 });
      assert.deepEqual(await audit.verifyChain('org_other'), { ok: true, count: 2 });
      assert.deepEqual(await audit.verifyChain('org_none'), { ok: true, count: 0 });
    });

    test('concurrent appends to one org queue up instead of forking the chain', async () => {
      await Promise.all(Array.from({ length: 30 }, (_, i) => audit.append({ orgId: 'org_conc', kind: 'k', actor: 'engine', data: { i } })));
      const events = await audit.list('org_conc', { limit: 100 });
      assert.deepEqual(events.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.deepEqual(await audit.verifyChain('org_conc'), { ok: true, count: 30 });
    });

    test('a secret registered with the engine logger never lands in an event; the chain still verifies', async () => {
      const logger = createLogger({ write: () => {} });
      const scrubbed = createAudit(store.db, clock, { scrub: logger.scrub });
      const secret = 'ASIASESSIONKEY0000001/with"quote';
      logger.addSecret(secret);
      await scrubbed.append({ orgId: 'org_scrub', kind: 'credentials.issued', actor: 'token:ci', subject: `oops ${secret}`, data: { accessKeyId: secret, nested: [{ v: `x ${secret} y` }], token: `hgr_${'z'.repeat(43)}` } });
      const rows = await store.db.selectFrom('audit_events').selectAll().where('org_id', '=', 'org_scrub').execute();
      const text = JSON.stringify(rows);
      assert.ok(!text.includes('ASIASESSIONKEY0000001'), text);
      assert.ok(!text.includes('z'.repeat(43)), 'an API token in event data is scrubbed too');
      assert.deepEqual((await scrubbed.list('org_scrub'))[0]!.data, { accessKeyId: '[REDACTED]', nested: [{ v: 'x [REDACTED] y' }], token: 'hgr_[REDACTED]' });
      assert.deepEqual(await scrubbed.verifyChain('org_scrub'), { ok: true, count: 1 });
    });

    test('an altered event is named', async () => {
      await seedOrg('org_alter', 4);
      await sql`update audit_events set data = ${JSON.stringify({ i: 99 })} where org_id = 'org_alter' and seq = 3`.execute(store.db);
      const r = await audit.verifyChain('org_alter');
      assert.equal(r.ok, false);
      assert.ok(!r.ok);
      assert.equal(r.brokenAt.seq, 3);
      assert.equal(r.count, 2);
      assert.match(r.brokenAt.reason, /event 3 \(token\.created\) was altered/);
      const third = (await audit.list('org_alter')).find((e) => e.seq === 3)!;
      assert.equal(r.brokenAt.id, third.id);
    });

    test('an altered event whose hash was recomputed is caught at the next link', async () => {
      await seedOrg('org_rehash', 3);
      await sql`update audit_events set hash = ${'f'.repeat(64)} where org_id = 'org_rehash' and seq = 2`.execute(store.db);
      const r = await audit.verifyChain('org_rehash');
      assert.ok(!r.ok);
      assert.equal(r.brokenAt.seq, 2);
    });

    test('a removed event is named, in the middle or at the end', async () => {
      await seedOrg('org_del', 5);
      await sql`delete from audit_events where org_id = 'org_del' and seq = 2`.execute(store.db);
      const r = await audit.verifyChain('org_del');
      assert.ok(!r.ok);
      assert.equal(r.brokenAt.seq, 2);
      assert.match(r.brokenAt.reason, /event 2 is missing \(removed\)/);

      await seedOrg('org_tail', 4);
      await sql`delete from audit_events where org_id = 'org_tail' and seq = 4`.execute(store.db);
      const t = await audit.verifyChain('org_tail');
      assert.ok(!t.ok);
      assert.equal(t.brokenAt.seq, 4);
      assert.match(t.brokenAt.reason, /missing \(removed from the end/);
    });

    test('reordered events are named', async () => {
      await seedOrg('org_swap', 4);
      await sql`update audit_events set seq = -1 where org_id = 'org_swap' and seq = 2`.execute(store.db);
      await sql`update audit_events set seq = 2 where org_id = 'org_swap' and seq = 3`.execute(store.db);
      await sql`update audit_events set seq = 3 where org_id = 'org_swap' and seq = -1`.execute(store.db);
      const r = await audit.verifyChain('org_swap');
      assert.ok(!r.ok);
      assert.equal(r.brokenAt.seq, 2);
    });
  });
}

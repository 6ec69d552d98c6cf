import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { HangarError } from '@hangar/core';
import { openTestStore, ownTables, testDatabases, testPostgresUrl, type TestStore } from './test-store.js';
import { openStore, withoutPassword } from './db.js';
import { collectMigrations, migrateToLatest } from './migrate.js';
import { orgsMigration } from '../orgs/tables.js';
import { tokensMigration } from '../tokens/tables.js';
import { auditMigration } from '../audit/tables.js';
import { createAudit } from '../audit/audit.js';
import { createOrgs } from '../orgs/orgs.js';
import { isUniqueViolation } from './errors.js';

const platform = { name: 'platform', migrations: { '0001_platform_orgs_users': orgsMigration, '0002_platform_api_tokens': tokensMigration, '0003_platform_audit': auditMigration } };
const clock = { now: () => new Date() };

test('an unreachable PostgreSQL is reported with its address and without its password', async () => {
  await assert.rejects(openStore({ kind: 'postgres', url: 'postgres://hangar:s3cret-pw@127.0.0.1:1/hangar' }), (e: Error) => {
    assert.match(e.message, /Cannot use the PostgreSQL database at postgres:\/\/hangar:\*\*\*@127\.0\.0\.1:1\/hangar: .*HANGAR_DATABASE_URL/);
    assert.ok(!e.message.includes('s3cret-pw'));
    return true;
  });
  assert.equal(withoutPassword('not a url'), '(an unparseable URL)');
});

test('a migration name claimed by two features is refused before anything runs', () => {
  assert.throws(() => collectMigrations([platform, { name: 'other', migrations: { '0001_platform_orgs_users': orgsMigration } }]), /declared by both "platform" and "other"/);
});

for (const { kind, skip } of testDatabases()) {
  describe(`store on ${kind}`, { skip }, () => {
    let store: TestStore;
    before(async () => { store = await openTestStore(kind); });
    after(() => store?.cleanup());

    test('migrations apply once, in order, and a second run applies nothing', async () => {
      assert.deepEqual(await migrateToLatest(store.db, collectMigrations([platform])), ['0001_platform_orgs_users', '0002_platform_api_tokens', '0003_platform_audit']);
      assert.deepEqual(await migrateToLatest(store.db, collectMigrations([platform])), []);
      const tables = (await ownTables(store.db)).map((t) => t.name);
      for (const t of ['orgs', 'users', 'memberships', 'api_tokens', 'audit_events', 'audit_heads']) assert.ok(tables.includes(t), `${t} in ${tables.join(',')}`);
    });

    test('org names and user emails are unique; roles outside the four are refused by the database', async () => {
      const orgs = createOrgs({ db: store.db, clock, audit: createAudit(store.db, clock) });
      const org = await orgs.createOrg('unique-co', 'engine');
      await assert.rejects(orgs.createOrg('unique-co', 'engine'), (e: unknown) => e instanceof HangarError && e.code === 'CONFLICT');
      await assert.rejects(orgs.createOrg('Bad Name', 'engine'), (e: unknown) => e instanceof HangarError && e.code === 'VALIDATION_FAILED');
      const u1 = await orgs.ensureUser({ email: 'Same@Example.com' });
      const u2 = await orgs.ensureUser({ email: 'same@example.com ' });
      assert.equal(u1.id, u2.id);
      await assert.rejects(sql`insert into memberships (org_id, user_id, role, created_at) values (${org.id}, ${u1.id}, 'god', 'now')`.execute(store.db));
    });

    test('the loser of a race to insert the same name gets CONFLICT, not a 500', async () => {
      const orgs = createOrgs({ db: store.db, clock, audit: createAudit(store.db, clock) });
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => orgs.createOrg('racy-co', 'engine')));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as HangarError).code, 'CONFLICT');
      const dup = await sql`insert into orgs (id, name, created_at) values ('org_dup', 'racy-co', 'now')`.execute(store.db).catch((e: unknown) => e);
      assert.ok(isUniqueViolation(dup), String(dup));
    });

    test('two engine processes migrating one fresh database at once both come up', { skip: kind === 'postgres' ? false : 'one SQLite file has one engine' }, async () => {
      const fresh = await openTestStore('postgres');
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(fresh.db)).rows[0]!.s;
      const other = await openStore({ kind: 'postgres', url: testPostgresUrl()! }, { schema, maxConnections: 2 });
      try {
        const [x, y] = await Promise.all([migrateToLatest(fresh.db, collectMigrations([platform])), migrateToLatest(other.db, collectMigrations([platform]))]);
        assert.deepEqual([...x, ...y].sort(), ['0001_platform_orgs_users', '0002_platform_api_tokens', '0003_platform_audit']);
      } finally {
        await other.close();
        await fresh.cleanup();
      }
    });

    test('concurrent appends from two separate connection pools (two engine processes) keep one chain', { skip: kind === 'postgres' ? false : 'SQLite serialises writers in one file; covered by the single-pool test' }, async () => {
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
      const other = await openStore({ kind: 'postgres', url: testPostgresUrl()! }, { schema, maxConnections: 4 });
      try {
        const a1 = createAudit(store.db, clock);
        const a2 = createAudit(other.db, clock);
        await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a1 : a2).append({ orgId: 'org_two_procs', kind: 'k', actor: 'engine', data: { i } })));
        assert.deepEqual(await a1.verifyChain('org_two_procs'), { ok: true, count: 40 });
      } finally {
        await other.close();
      }
    });
  });
}

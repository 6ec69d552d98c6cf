import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createLogger } from '../logger.js';
import { orgsMigration } from '../orgs/tables.js';
import { migrateToLatest } from '../store/migrate.js';
import { openTestStore, testDatabases, type TestStore } from '../store/test-store.js';
import type { Db } from '../types.js';
import { createHarness, fakeBroker, testProvider, type Harness } from './_harness.js';
import { createDeploymentsFeature } from './index.js';
import { fakeComponent } from './_fake-component.js';
import { createSqlQueue, type DeploymentQueue } from './job-queue.js';
import { createPgBossQueue } from './pg-queue.js';
import { deploymentMigrations } from './tables.js';

const clock = { now: () => new Date() };

/** The queue under test on `db`: pg-boss on PostgreSQL, the SQL claim on SQLite. */
function queueFor(kind: 'sqlite' | 'postgres', db: Db, orgLimit: number): DeploymentQueue {
  return kind === 'postgres'
    ? createPgBossQueue({ db, clock, logger: createLogger({ write: () => {} }), orgLimit, deferSeconds: 1 })
    : createSqlQueue({ db, clock, orgLimit });
}

for (const dbk of testDatabases()) {
  describe(`the deployment queue interface (${dbk.kind})`, { skip: dbk.skip, timeout: 120_000 }, () => {
    let store: TestStore;
    let n = 0;
    // A fresh store (a new PostgreSQL schema, and pg-boss's next to it) for every test.
    beforeEach(async () => {
      store = await openTestStore(dbk.kind);
      await migrateToLatest(store.db, { '0001_platform_orgs_users': orgsMigration, ...deploymentMigrations });
      const now = new Date().toISOString();
      await store.db.insertInto('orgs').values([{ id: 'org_a', name: 'a', created_at: now }, { id: 'org_b', name: 'b', created_at: now }]).execute();
      await store.db.insertInto('apps').values([{ id: 'app_a', org_id: 'org_a', name: 'shop', created_at: now }, { id: 'app_b', org_id: 'org_b', name: 'shop', created_at: now }]).execute();
    });
    afterEach(async () => { await store?.cleanup(); });

    /** Inserts a queued deployment and enqueues it in the same transaction, as the service does. */
    const submit = async (q: DeploymentQueue, org: 'org_a' | 'org_b', instance: string): Promise<string> => {
      const id = `dep_${String(++n).padStart(20, '0')}`;
      const now = new Date().toISOString();
      await store.db.transaction().execute(async (tx) => {
        await tx.insertInto('instances').values({ id: instance, org_id: org, app_id: org === 'org_a' ? 'app_a' : 'app_b', stage: 'dev', name: instance, component: 'fake', status: 'new', inputs: '{}', outputs: '{}', state: '{}', last_deployment_id: null, updated_at: now })
          .onConflict((oc) => oc.doNothing()).execute();
        await tx.insertInto('deployments').values({
          id, org_id: org, app_id: org === 'org_a' ? 'app_a' : 'app_b', instance_id: instance, stage: 'dev', component: 'fake', action: 'deploy', status: 'queued',
          actor: 'token:ci', actor_ref: '{}', manifest_id: null, inputs: '{}', provider_id: null, provider_name: null, role_arn: null, outputs: null,
          error_code: null, error_message: null, aws_code: null, aws_request_id: null, created_at: now, started_at: null, finished_at: null, heartbeat_at: null,
        }).execute();
        await q.enqueue(tx, { id, orgId: org, instanceId: instance });
      });
      return id;
    };
    const finish = (id: string) => store.db.updateTable('deployments').set({ status: 'succeeded', finished_at: new Date().toISOString() }).where('id', '=', id).execute();
    /** Claims until nothing more is runnable (a pg-boss deferral lasts a second: wait it out once). */
    const claimAll = async (q: DeploymentQueue, settleMs = 0): Promise<string[]> => {
      const got: string[] = [];
      for (let round = 0; round < 2; round++) {
        for (let dep = await q.claim(); dep; dep = await q.claim()) got.push(dep.id);
        if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
      }
      return got;
    };
    const settle = dbk.kind === 'postgres' ? 1100 : 0;

    test('one deployment per instance at a time, in queue order; at most orgLimit running per org; claimed means running with a lease', async () => {
      const q = queueFor(dbk.kind, store.db, 2);
      await q.start();
      try {
        const a1 = await submit(q, 'org_a', 'ins_1');
        const a2 = await submit(q, 'org_a', 'ins_1');
        const a3 = await submit(q, 'org_a', 'ins_2');
        const a4 = await submit(q, 'org_a', 'ins_3');
        const b1 = await submit(q, 'org_b', 'ins_4');
        const first = await claimAll(q, settle);
        // ins_1's second waits for its first; org_a has two running (its limit): a4 waits; org_b is not held up by org_a.
        assert.deepEqual(first.sort(), [a1, a3, b1].sort());
        const rows = await store.db.selectFrom('deployments').selectAll().where('id', 'in', first).execute();
        for (const r of rows) {
          assert.equal(r.status, 'running');
          assert.ok(r.started_at && r.heartbeat_at, 'a claimed deployment carries its lease');
        }
        await finish(a1);
        await finish(a3);
        // ins_1 is free (its next one, a2, runs) and org_a has two slots again (a4 runs too).
        // Across instances the order is not promised (pg-boss: jobs deferred together are equals).
        assert.deepEqual((await claimAll(q, settle)).sort(), [a2, a4].sort());
        for (const id of [a2, a4, b1]) await finish(id);
        assert.deepEqual(await claimAll(q), []);
      } finally {
        await q.stop();
      }
    });

    test('requeue puts a claimed deployment back (claimable again, its place kept); not one whose lease was lost', async () => {
      const q = queueFor(dbk.kind, store.db, 10);
      await q.start();
      try {
        const a1 = await submit(q, 'org_a', 'ins_r');
        const a2 = await submit(q, 'org_a', 'ins_r');
        assert.deepEqual(await claimAll(q), [a1]);
        assert.equal(await q.requeue({ id: a1, orgId: 'org_a', instanceId: 'ins_r' }), true);
        const row = await store.db.selectFrom('deployments').selectAll().where('id', '=', a1).executeTakeFirstOrThrow();
        assert.equal(row.status, 'queued');
        assert.equal(row.started_at, null);
        // a1 again, before a2.
        assert.deepEqual(await claimAll(q, settle), [a1]);
        await store.db.updateTable('deployments').set({ status: 'failed', error_code: 'DEPLOY_INTERRUPTED' }).where('id', '=', a1).execute();
        assert.equal(await q.requeue({ id: a1, orgId: 'org_a', instanceId: 'ins_r' }), false, 'reaped elsewhere: not ours to put back');
        assert.deepEqual(await claimAll(q, settle), [a2]);
        await finish(a2);
      } finally {
        await q.stop();
      }
    });

    test('two queues (two engines) on one store never both claim one deployment, and never two of one instance', async () => {
      const q1 = queueFor(dbk.kind, store.db, 100);
      const q2 = queueFor(dbk.kind, store.db, 100);
      await q1.start();
      await q2.start();
      try {
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push(await submit(q1, 'org_a', `ins_p${i % 4}`));
        const claimed: string[] = [];
        for (let round = 0; round < 200 && claimed.length < ids.length; round++) {
          const got = (await Promise.all([q1.claim(), q2.claim(), q1.claim(), q2.claim()])).filter((d) => d !== undefined);
          const running = await store.db.selectFrom('deployments').select(['id', 'instance_id']).where('status', '=', 'running').execute();
          assert.equal(new Set(running.map((r) => r.instance_id)).size, running.length, 'two running deployments of one instance');
          for (const d of got) {
            assert.ok(!claimed.includes(d.id), `${d.id} claimed twice`);
            claimed.push(d.id);
          }
          for (const r of running) await finish(r.id);
          if (got.length === 0 && settle) await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual([...claimed].sort(), [...ids].sort());
        // Per instance, claim order is queue order.
        for (let k = 0; k < 4; k++) {
          const mine = ids.filter((_, i) => i % 4 === k);
          assert.deepEqual(claimed.filter((id) => mine.includes(id)), mine);
        }
      } finally {
        await q1.stop();
        await q2.stop();
      }
    });

    test('deployments queued before the queue started (or without a job) are claimable once it starts, each once', async () => {
      const q = queueFor(dbk.kind, store.db, 10);
      // Not started: the pg-boss queue gives no job yet (as when the API queues before the workers start).
      const a1 = await submit(q, 'org_a', 'ins_s1');
      const a2 = await submit(q, 'org_a', 'ins_s2');
      await q.start();
      const q2 = queueFor(dbk.kind, store.db, 10);
      await q2.start(); // a second engine's start sweeps again: no second job for either
      try {
        assert.deepEqual((await claimAll(q)).sort(), [a1, a2].sort());
        assert.deepEqual(await claimAll(q2, settle), []);
      } finally {
        await q.stop();
        await q2.stop();
      }
    });

    if (dbk.kind === 'postgres') {
      test('a claim whose transaction dies (engine killed mid-claim) leaves the job claimable: rolled back, not lost', async () => {
          const q = queueFor(dbk.kind, store.db, 10);
        await q.start();
        try {
          const a1 = await submit(q, 'org_a', 'ins_k');
          // Fetch a1's job inside a transaction that then fails, as a killed engine's would.
          const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
          await assert.rejects(store.db.transaction().execute(async (tx) => {
            const taken = await sql<{ id: string }>`update ${sql.raw(`"${schema}_pgboss"`)}.job set state = 'active', started_on = now() where name = 'hangar-deployments' and state = 'created' and singleton_key = ${a1} returning id`.execute(tx);
            assert.equal(taken.rows.length, 1);
            throw new Error('killed');
          }), /killed/);
          assert.deepEqual(await claimAll(q), [a1]);
          await finish(a1);
        } finally {
          await q.stop();
        }
      });
    }
  });

  describe(`fairness across orgs (${dbk.kind})`, { skip: dbk.skip, timeout: 120_000 }, () => {
    let h: Harness;
    const component = fakeComponent();
    before(async () => {
      h = await createHarness({ kind: dbk.kind, lookup: (n) => (n === 'fake' ? component : undefined), workers: 3, orgConcurrency: 2, pollMs: 50 });
    });
    after(async () => { await h?.close(); });

    test('one org submitting 20 deployments delays another org\'s single one by at most one deployment (the per-org limit)', async () => {
      const submit = async (org: string, name: string) => {
        const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${org}/deployments`, headers: h.as(org), payload: { app: 'shop', stage: 'dev', name, component: 'fake', inputs: { value: name, delayMs: 600 } } });
        assert.equal(res.statusCode, 202, res.body);
        return res.json().deploymentId as string;
      };
      const flood: string[] = [];
      for (let i = 0; i < 20; i++) flood.push(await submit(h.orgA, `flood-${i}`));
      const single = await submit(h.orgB, 'single');
      const get = async (org: string, id: string) => (await h.app.inject({ method: 'GET', url: `/api/v1/orgs/${org}/deployments/${id}`, headers: h.as(org, 'viewer') })).json() as { status: string; startedAt: string | null; finishedAt: string | null };
      let b = await get(h.orgB, single);
      for (let i = 0; i < 600 && b.status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        b = await get(h.orgB, single);
      }
      assert.equal(b.status, 'succeeded');
      const rows = await h.store.db.selectFrom('deployments').selectAll().where('id', 'in', flood).execute();
      const bRow = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', single).executeTakeFirstOrThrow();
      // Those that ended while B waited (submitting the flood takes a while: some of A's ran meanwhile).
      const finishedBefore = rows.filter((r) => r.finished_at !== null && r.finished_at > bRow.created_at && r.finished_at <= bRow.started_at!);
      // Without the limit the 3 workers would all take org A's queue and B would wait for ~6 rounds of A.
      assert.ok(finishedBefore.length <= 2, `${finishedBefore.length} of org A's deployments finished before org B's started`);
      const maxRunningA = Math.max(...rows.filter((r) => r.started_at).map((r) => rows.filter((o) => o.started_at && o.started_at <= r.started_at! && (!o.finished_at || o.finished_at > r.started_at!)).length));
      assert.ok(maxRunningA <= 2, `org A had ${maxRunningA} deployments running at once (limit 2)`);
    });
  });
}

for (const dbk of testDatabases()) {
  describe(`a run stopped before it asked for credentials goes back to the queue (${dbk.kind})`, { skip: dbk.skip, timeout: 120_000 }, () => {
    test('engine shutdown while the provider is being resolved: the deployment is queued again, no credentials were issued, and another engine runs it', async () => {
      const component = fakeComponent();
      let release!: () => void;
      let entered!: () => void;
      const inResolve = new Promise<void>((r) => { entered = r; });
      const gate = new Promise<void>((r) => { release = r; });
      const slow = fakeBroker({ provider: testProvider, beforeResolve: async () => { entered(); await gate; } });
      const h = await createHarness({ kind: dbk.kind, lookup: () => component, broker: slow.broker, workers: 1 });
      try {
        const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'shop', stage: 'dev', name: 'api', component: 'fake', inputs: { value: 'v1' } } });
        assert.equal(res.statusCode, 202, res.body);
        const id = res.json().deploymentId as string;
        await inResolve;
        const stopping = h.feature.stop!();
        release();
        await stopping;
        const row = await h.store.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'queued', 'put back, not failed');
        assert.equal(row.started_at, null);
        assert.equal(slow.opened.length, 0, 'no credentials were asked for');
        assert.equal(component.calls.length, 0);
        // Another engine on the same store picks it up and runs it.
        const second = createDeploymentsFeature({
          db: h.store.db, clock, logger: createLogger({ write: () => {} }),
          config: { publicUrl: 'x', dataDir: h.dataDir, database: { kind: 'sqlite', path: ':memory:' }, aws: { region: 'us-east-1' }, limits: { maxFiles: 10, maxTotalBytes: 10, maxFileBytes: 10, maxManifestEntries: 10 }, workers: 1 },
          audit: { append: async () => {} }, broker: fakeBroker().broker, lookup: () => component, pollMs: 50,
        });
        await second.start!();
        try {
          let status = row.status as string;
          for (let i = 0; i < 400 && status !== 'succeeded' && status !== 'failed'; i++) {
            await new Promise((r) => setTimeout(r, 50));
            status = (await h.store.db.selectFrom('deployments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
          }
          assert.equal(status, 'succeeded');
          assert.deepEqual(component.calls.map((c) => c.value), ['v1']);
          // One log: the first run's lines, the note, then the second run's, numbered on.
          const lines = await h.store.db.selectFrom('deployment_logs').selectAll().where('deployment_id', '=', id).orderBy('seq').execute();
          assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1));
          assert.ok(lines.some((l) => /queued again/.test(l.message)), lines.map((l) => l.message).join('\n'));
          assert.ok(lines.some((l) => l.message === 'deploying value=v1'));
        } finally {
          await second.stop!();
        }
      } finally {
        await h.close();
      }
    });
  });
}

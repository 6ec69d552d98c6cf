// Progress across engines: two deployments features (two "engines") on one PostgreSQL schema. The
// follower's engine polls every 10 minutes, so everything it streams in time came by LISTEN/NOTIFY.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { openTestStore, PG_SKIP_REASON, testPostgresUrl, type TestStore } from '../store/test-store.js';
import { createHarness, fakeBroker, testProvider, type Harness } from './_harness.js';
import { fakeComponent } from './_fake-component.js';
import { followSse, parseSse } from './_sse.js';

const NEVER = 600_000;

describe('deployment progress across engines (PostgreSQL LISTEN/NOTIFY)', { skip: testPostgresUrl() ? false : PG_SKIP_REASON, timeout: 120_000 }, () => {
  let store: TestStore;
  let a: Harness;
  let b: Harness;
  let bUrl: string;
  const component = fakeComponent();
  let hold: Promise<void> = Promise.resolve();
  let releaseHold = (): void => {};
  const lookup = (n: string) => (n === 'fake' ? component : undefined);

  before(async () => {
    store = await openTestStore('postgres');
    // Engine A runs deployments; engine B only serves the API (no workers) and never polls in time.
    a = await createHarness({ store, lookup, broker: fakeBroker({ provider: testProvider, beforeResolve: () => hold }).broker, workers: 1, pollMs: 200, listenClient: store.listenClient! });
    b = await createHarness({ store, lookup, workers: 0, pollMs: NEVER, streamHeartbeatMs: NEVER, listenClient: store.listenClient! });
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    bUrl = `http://127.0.0.1:${(b.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    // A failed test leaves a run parked at its gate: let it finish so the engine can stop.
    releaseHold();
    for (const g of ['one', 'two']) component.gate(g).open();
    await b?.close();
    await a?.close();
    await store?.cleanup();
  });

  /** Deploy through A while its run is held before it resolves the provider; B's stream opens meanwhile. */
  async function deployHeldOnA(value: string) {
    let release!: () => void;
    hold = new Promise((r) => { release = r; });
    releaseHold = release;
    const res = await a.app.inject({ method: 'POST', url: `/api/v1/orgs/${a.orgA}/deployments`, headers: a.as(a.orgA), payload: { app: 'shop', stage: 'dev', name: `api-${value}`, component: 'fake', inputs: { value, gate: value } } });
    assert.equal(res.statusCode, 202, res.body);
    return { id: (res.json() as { deploymentId: string }).deploymentId, release };
  }
  const eventsUrl = (id: string) => `${bUrl}/api/v1/orgs/${b.orgA}/deployments/${id}/events`;

  test('a client of engine B follows a deployment engine A runs, line by line as it is written', async () => {
    const { id, release } = await deployHeldOnA('one');
    const follower = await followSse(eventsUrl(id), b.as(b.orgA, 'viewer'));
    try {
      await follower.until((e) => e.event === 'status');
      release();
      // The run is now parked at its gate: only a NOTIFY from A can have brought this line to B.
      const line = await follower.until((e) => e.event === 'log' && e.data.message === 'deploying value=one');
      assert.equal(component.gate('one').isEntered(), true);
      assert.equal(follower.events.some((e) => e.event === 'done'), false);
      await component.gate('one').entered;
      component.gate('one').open();
      const done = await follower.until((e) => e.event === 'done');
      assert.equal(done.data.status, 'succeeded');
      const seqs = follower.events.filter((e) => e.event === 'log').map((e) => e.data.seq as number);
      assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'every line once, in order');
      assert.ok(seqs.includes(line.data.seq));

      // Last-Event-ID: a reconnect after line 2 gets lines 3.. and done, nothing it already had.
      const res = await b.app.inject({ method: 'GET', url: `/api/v1/orgs/${b.orgA}/deployments/${id}/events`, headers: { ...b.as(b.orgA, 'viewer'), 'last-event-id': '2' } });
      const resumed = parseSse(res.body);
      assert.deepEqual(resumed.filter((e) => e.event === 'log').map((e) => e.data.seq), seqs.filter((s) => s > 2));
      assert.equal(resumed.at(-1)?.event, 'done');
    } finally {
      follower.close();
    }
  });

  test('a lost listening connection is re-established, and lines flow again through NOTIFY', async () => {
    const listening = () => b.logs.filter((l) => l.includes('listening for deployment notifications')).length;
    const before = listening();
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
    // Cut every listener on this schema's channel (A's and B's), as a database restart would.
    const cut = await sql<{ n: number }>`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = 'hangar-engine-listen' and query = ${`LISTEN "hangar_deployments:${schema}"`}`.execute(store.db);
    assert.ok(cut.rows[0]!.n >= 1);
    while (!b.logs.some((l) => l.includes('connection was lost'))) await new Promise((r) => setTimeout(r, 20));
    while (listening() === before) await new Promise((r) => setTimeout(r, 20));

    const { id, release } = await deployHeldOnA('two');
    const follower = await followSse(eventsUrl(id), b.as(b.orgA, 'viewer'));
    try {
      await follower.until((e) => e.event === 'status');
      release();
      await follower.until((e) => e.event === 'log' && e.data.message === 'deploying value=two');
      await component.gate('two').entered;
      component.gate('two').open();
      assert.equal((await follower.until((e) => e.event === 'done')).data.status, 'succeeded');
    } finally {
      follower.close();
    }
  });
});

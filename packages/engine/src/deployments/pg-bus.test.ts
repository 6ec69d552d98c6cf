// The PostgreSQL bus on its own: delivery between two buses, coalescing, and closing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createLogger } from '../logger.js';
import { openTestStore, PG_SKIP_REASON, testPostgresUrl, type TestStore } from '../store/test-store.js';
import type { DeploymentBus } from './bus.js';
import { createPgDeploymentBus } from './pg-bus.js';

describe('PostgreSQL deployment bus', { skip: testPostgresUrl() ? false : PG_SKIP_REASON, timeout: 60_000 }, () => {
  let store: TestStore;
  let a: DeploymentBus;
  let b: DeploymentBus;
  let raw: pg.Client;
  const received: string[] = [];
  let channel = '';
  /** NOTIFYs are delivered in commit order: once this one arrives, every earlier one has. */
  const drain = async (): Promise<void> => {
    const mark = `sentinel-${received.length}-${Math.random()}`;
    await sql`select pg_notify(${channel}, ${mark})`.execute(store.db);
    while (!received.includes(mark)) await new Promise((r) => setTimeout(r, 5));
  };
  const logger = createLogger({ level: 'error', write: () => {} });

  before(async () => {
    store = await openTestStore('postgres');
    a = createPgDeploymentBus({ db: store.db, listenClient: store.listenClient!, logger });
    b = createPgDeploymentBus({ db: store.db, listenClient: store.listenClient!, logger });
    await a.start!();
    await b.start!();
    // A plain listener on the same channel counts what actually goes over the wire.
    const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]!.s;
    raw = store.listenClient!();
    await raw.connect();
    raw.on('notification', (n) => received.push(n.payload ?? ''));
    channel = `hangar_deployments:${schema}`;
    await raw.query(`LISTEN "${channel}"`);
  });
  after(async () => {
    await raw?.end();
    await a?.close!();
    await b?.close!();
    await store?.cleanup();
  });

  test('both are live once listening; a notify on one wakes the subscribers of that id on the other, and only those', async () => {
    assert.equal(a.live(), true);
    assert.equal(b.live(), true);
    let other = 0;
    const offOther = b.subscribe('dep_other', () => { other++; });
    await new Promise<void>((resolve) => {
      const off = b.subscribe('dep_1', () => { off(); resolve(); });
      a.notify('dep_1');
    });
    offOther();
    assert.equal(other, 0);
  });

  test('a burst of notifies for one id is coalesced, and the other engine hears of the last one', async () => {
    await drain();
    received.length = 0;
    let lastCallDone = false;
    let heardAfterLast!: () => void;
    const heard = new Promise<void>((r) => { heardAfterLast = r; });
    const off = b.subscribe('dep_burst', () => { if (lastCallDone) heardAfterLast(); });
    for (let i = 0; i < 200; i++) {
      a.notify('dep_burst');
      if (i % 10 === 9) await new Promise((r) => setImmediate(r)); // let NOTIFYs go out meanwhile
    }
    lastCallDone = true;
    await heard;
    off();
    await drain();
    const sent = received.filter((p) => p === 'dep_burst').length;
    assert.ok(sent >= 1 && sent < 200, `${sent} NOTIFYs for 200 notify() calls`);
  });

  test('after close the bus is not live and sends nothing', async () => {
    await drain();
    await a.close!();
    assert.equal(a.live(), false);
    received.length = 0;
    a.notify('dep_closed');
    await drain();
    assert.deepEqual(received.filter((p) => !p.startsWith('sentinel-')), []);
  });
});

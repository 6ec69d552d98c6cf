import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { createHarness, fakeBroker, testProvider } from './_harness.js';
import { fakeComponent } from './_fake-component.js';
import { parseSse } from './_sse.js';

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the SQLite file locked by another connection mid-deploy: ENGINE_STORE_UNAVAILABLE (retryable, says what to do), for the run and for the API; the end is recorded once the lock goes', async () => {
  const component = fakeComponent();
  let locker: SqliteDatabase.Database | undefined;
  let lockNow: () => void = () => {};
  const h = await createHarness({
    lookup: () => component,
    // Mid-deploy: just after the worker claimed the run, another program takes the write lock.
    broker: fakeBroker({ provider: testProvider, beforeResolve: async () => lockNow() }).broker,
  });
  try {
    const file = (await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(h.store.db)).rows[0]!.file;
    await sql`PRAGMA busy_timeout = 100`.execute(h.store.db);
    lockNow = () => {
      lockNow = () => {};
      locker = new SqliteDatabase(file, { timeout: 0 });
      locker.exec('BEGIN EXCLUSIVE');
    };
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'shop', stage: 'dev', name: 'locked', component: 'fake', inputs: { value: 'v' } } });
    assert.equal(res.statusCode, 202, res.body);
    const id = res.json().deploymentId as string;
    await until('the runner to find the store locked', () => h.logs.some((l) => l.includes('the store is unavailable; retrying') && l.includes(id)));

    // Meanwhile the API answers a write with a retryable 503 naming the cause and the fix, not a bare 500.
    const api = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'shop', stage: 'dev', name: 'other', component: 'fake', inputs: { value: 'w' } } });
    assert.equal(api.statusCode, 503, api.body);
    assert.equal(api.json().code, 'ENGINE_STORE_UNAVAILABLE');
    assert.match(api.json().message, /SQLITE_BUSY.*locked by another connection or program\. Close whatever holds it/);

    locker!.exec('ROLLBACK');
    locker!.close();
    locker = undefined;
    const fin = parseSse((await h.app.inject({ url: `/api/v1/orgs/${h.orgA}/deployments/${id}/events`, headers: h.as(h.orgA) })).body).at(-1)!.data;
    assert.equal(fin.status, 'failed');
    assert.equal(fin.error.code, 'ENGINE_STORE_UNAVAILABLE', JSON.stringify(fin.error));
    assert.match(fin.error.message, /database is locked/);
    assert.doesNotMatch(fin.error.message, /The component failed/);
    assert.equal(component.calls.length, 0, 'the component never ran');
    const finished = h.audit.filter((e) => e.kind === 'deployment.finished' && e.subject === `deployment:${id}`);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]!.data['errorCode'], 'ENGINE_STORE_UNAVAILABLE');
  } finally {
    locker?.close();
    await h.close();
  }
});

test('a full disk (SQLITE_FULL) is ENGINE_STORE_UNAVAILABLE saying to free space, not INTERNAL', async () => {
  const h = await createHarness({ start: false, limits: { maxFiles: 5000, maxManifestEntries: 5000 } });
  try {
    // SQLite answers SQLITE_FULL exactly as on a full disk once the file may not grow any more.
    const pages = (await sql<{ n: number }>`select page_count as n from pragma_page_count`.execute(h.store.db)).rows[0]!.n;
    await sql.raw(`PRAGMA max_page_count = ${pages}`).execute(h.store.db);
    const entries = Array.from({ length: 3000 }, (_, i) => ({ path: `f/${i}.js`, sha256: createHash('sha256').update(`full${i}`).digest('hex'), size: 10, mode: 0o644 }));
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/sources`, headers: h.as(h.orgA), payload: { kind: 'full', entries } });
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.json().code, 'ENGINE_STORE_UNAVAILABLE');
    assert.match(res.json().message, /SQLITE_FULL.*disk holding the database is full\. Free space/);
  } finally {
    await sql.raw('PRAGMA max_page_count = 1073741823').execute(h.store.db).catch(() => {});
    await h.close();
  }
});

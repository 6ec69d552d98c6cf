import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestEngine, type TestEngine } from '../testing.js';

let engine: TestEngine;
let base: string;
before(async () => {
  engine = await createTestEngine();
  base = `/api/v1/orgs/${engine.seed!.org.id}/audit`;
  for (const name of ['one', 'two', 'three']) {
    await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${engine.seed!.org.id}/tokens`, headers: engine.auth(engine.seed!.token), payload: { name } });
  }
});
after(() => engine?.close());

const get = (url: string) => engine.app.inject({ url, headers: engine.auth(engine.seed!.token) });

test('GET /audit pages newest first and filters by kind and actor', async () => {
  const all = (await get(base)).json() as { events: Array<{ seq: number; kind: string; actor: string; data: Record<string, unknown> }>; nextBefore: number | null };
  assert.deepEqual(all.events.map((e) => e.kind), ['token.created', 'token.created', 'token.created', 'token.created', 'member.added', 'org.created']);
  assert.equal(all.events[0]!.data.name, 'three');
  assert.equal(all.nextBefore, null);
  const page = (await get(`${base}?limit=2`)).json() as { events: Array<{ seq: number }>; nextBefore: number };
  assert.deepEqual(page.events.map((e) => e.seq), [6, 5]);
  assert.equal(page.nextBefore, 5);
  const next = (await get(`${base}?limit=2&before=${page.nextBefore}`)).json() as { events: Array<{ seq: number }> };
  assert.deepEqual(next.events.map((e) => e.seq), [4, 3]);
  const byActor = (await get(`${base}?actor=engine`)).json() as { events: Array<{ kind: string }> };
  assert.deepEqual(byActor.events.map((e) => e.kind), ['token.created', 'member.added', 'org.created']);
  const byKind = (await get(`${base}?kind=member.added`)).json() as { events: unknown[] };
  assert.equal(byKind.events.length, 1);
  const subject = encodeURIComponent(`user:${engine.seed!.owner.id}`);
  const bySubject = (await get(`${base}?subject=${subject}`)).json() as { events: Array<{ kind: string }> };
  assert.deepEqual(bySubject.events.map((e) => e.kind), ['member.added']);
});

test('bad audit queries name the parameter', async () => {
  const r = await get(`${base}?limit=lots&colour=red`);
  assert.equal(r.statusCode, 400);
  assert.match(r.json().message, /query\.limit/);
  assert.match(r.json().message, /colour/);
});

test('GET /audit/verify reports an intact chain, then names the event altered in the database', async () => {
  assert.deepEqual((await get(`${base}/verify`)).json(), { ok: true, count: 6 });
  await sql`update audit_events set actor = 'someone-else' where org_id = ${engine.seed!.org.id} and seq = 4`.execute(engine.db);
  const r = (await get(`${base}/verify`)).json() as { ok: boolean; count: number; brokenAt: { seq: number; reason: string } };
  assert.equal(r.ok, false);
  assert.equal(r.count, 3);
  assert.equal(r.brokenAt.seq, 4);
  assert.match(r.brokenAt.reason, /altered/);
});

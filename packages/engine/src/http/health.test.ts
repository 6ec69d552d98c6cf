// /healthz and /readyz: public, no secret in the answer; readyz fails when the database is down,
// a migration is pending, or the engine is draining.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createTestEngine } from '../testing.js';
import type { Database } from '../types.js';
import { registerHealthRoutes } from './health.js';

test('an engine is alive and ready; draining, it stays alive but is no longer ready', async () => {
  const engine = await createTestEngine({ seed: false });
  try {
    const healthz = await engine.app.inject({ url: '/healthz' });
    assert.equal(healthz.statusCode, 200);
    assert.deepEqual(healthz.json(), { status: 'ok' });
    const ready = await engine.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', draining: false } });
    assert.ok(!/secret|version|postgres|sqlite/i.test(ready.body), 'nothing about the set-up is told');

    await engine.drain(0);
    const draining = await engine.app.inject({ url: '/readyz' });
    assert.equal(draining.statusCode, 503);
    assert.deepEqual(draining.json(), { status: 'unavailable', checks: { database: 'ok', migrations: 'ok', draining: true } });
    assert.equal((await engine.app.inject({ url: '/healthz' })).statusCode, 200);
  } finally {
    await engine.close();
  }
});

test('readyz answers 503 when the database does not answer, or a migration is pending', async () => {
  // A PostgreSQL pool pointed at a port nothing listens on: the database is down.
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
  pool.on('error', () => {});
  const down = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const app = Fastify();
  let pending: string[] = [];
  registerHealthRoutes(app, { db: down, pending: async () => pending, draining: () => false, timeoutMs: 1500 });
  const engine = await createTestEngine({ seed: false });
  const app2 = Fastify();
  registerHealthRoutes(app2, { db: engine.db, pending: async () => pending, draining: () => false });
  try {
    const r = await app.inject({ url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.deepEqual(r.json(), { status: 'unavailable', checks: { database: 'unreachable', migrations: 'unknown', draining: false } });
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200, 'alive all the same');

    pending = ['2099_01_01_future'];
    const behind = await app2.inject({ url: '/readyz' });
    assert.equal(behind.statusCode, 503);
    assert.equal(behind.json().checks.migrations, 'pending');
    pending = [];
    assert.equal((await app2.inject({ url: '/readyz' })).statusCode, 200);
  } finally {
    await app.close();
    await app2.close();
    await down.destroy();
    await engine.close();
  }
});

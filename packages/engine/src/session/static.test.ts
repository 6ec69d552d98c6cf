import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { createErrorHandler } from '../http/errors.js';
import { createLogger } from '../logger.js';
import { registerDashboard } from './static.js';

let dir: string;
let app: FastifyInstance;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-dash-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Hangar</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  app = Fastify();
  app.setErrorHandler(createErrorHandler(createLogger({ write: () => {} })));
  app.get('/api/v1/ping', async () => ({ ok: true }));
  await registerDashboard(app, dir);
  await app.ready();
});
after(async () => { await app?.close(); rmSync(dir, { recursive: true, force: true }); });

test('the dashboard is served at "/" with a strict content security policy', async () => {
  const res = await app.inject({ url: '/' });
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /<div id="root">/);
  assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(res.headers['x-frame-options'], 'DENY');
});

test('deep links fall back to index.html so a reload keeps the page', async () => {
  const res = await app.inject({ url: '/orgs/org_abc/instances/ins_1?x=1' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.body, /<div id="root">/);
});

test('hashed assets are cached for good; missing assets are 404, not the app', async () => {
  const js = await app.inject({ url: '/assets/app-1234.js' });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['cache-control']), /immutable/);
  const missing = await app.inject({ url: '/assets/gone-9999.js' });
  assert.equal(missing.statusCode, 404);
});

test('the API keeps its own answers: routes work, unknown API paths are JSON 404s', async () => {
  assert.deepEqual((await app.inject({ url: '/api/v1/ping' })).json(), { ok: true });
  const res = await app.inject({ url: '/api/v1/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, 'NOT_FOUND');
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { HangarError } from '@hangar/core';
import { createLogger } from '../logger.js';
import { createTestEngine, type TestEngine } from '../testing.js';
import { createErrorHandler, notFoundHandler } from './errors.js';

let engine: TestEngine;
before(async () => { engine = await createTestEngine(); });
after(() => engine?.close());

function post(payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${engine.seed!.org.id}/tokens`, headers: { ...engine.auth(engine.seed!.token), ...headers }, payload });
}

test('bad JSON is a clear 400 VALIDATION_FAILED', async () => {
  const r = await post('{"name": ');
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().code, 'VALIDATION_FAILED');
  assert.match(r.json().message, /^body: not valid JSON/);
});

test('a body with a __proto__ or constructor.prototype key is VALIDATION_FAILED naming the key, not "not valid JSON"', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"name":"ci","__proto__":{"role":"owner"}}', /^body\.__proto__: a key named "__proto__" is not accepted: .*prototype pollution\)\. Rename or remove the key\.$/],
    ['{"name":"ci","scopes":[{"a":1},{"b":{"__proto__":{"x":1}}}]}', /^body\.scopes\[1\]\.b\.__proto__: a key named "__proto__"/],
    ['{"name":"ci","x":{"constructor":{"prototype":{"isAdmin":true}}}}', /^body\.x\.constructor\.prototype: a key named "constructor" holding "prototype" is not accepted/],
    ['{"name":"ci","odd key":{"\\u005f_proto__":1}}', /^body\["odd key"\]\.__proto__:/],
  ];
  for (const [payload, re] of cases) {
    const r = await post(payload);
    assert.equal(r.statusCode, 400, payload);
    assert.equal(r.json().code, 'VALIDATION_FAILED', payload);
    assert.match(r.json().message, re, payload);
  }
  // A harmless "constructor" key or a "__proto__" inside a string is still just data.
  const fine = await post('{"name":"proto-ok","note":"__proto__"}');
  assert.doesNotMatch(fine.json().message ?? '', /not valid JSON|prototype pollution/);
});

test('an empty JSON body and a wrong content type are 400s that say what to send', async () => {
  const empty = await post('');
  assert.equal(empty.statusCode, 400);
  assert.match(empty.json().message, /empty/);
  const xml = await post('<a/>', { 'content-type': 'application/xml' });
  assert.equal(xml.statusCode, 400);
  assert.equal(xml.json().code, 'VALIDATION_FAILED');
  assert.match(xml.json().message, /application\/xml.*application\/json/);
});

test('a body over the limit is 413 PAYLOAD_TOO_LARGE', async () => {
  const r = await post(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(r.statusCode, 413);
  assert.equal(r.json().code, 'PAYLOAD_TOO_LARGE');
  assert.match(r.json().message, /larger than/);
});

test('a body of the wrong shape names each field by its dotted path', async () => {
  const r = await post(JSON.stringify({ name: 'has spaces', other: true }));
  assert.equal(r.statusCode, 400);
  assert.match(r.json().message, /body\.name: expected 1-63 letters/);
  assert.match(r.json().message, /other/);
  assert.deepEqual(Object.keys(r.json()).sort(), ['code', 'details', 'message']);
});

test('unknown routes answer 404 NOT_FOUND as JSON, for every method', async () => {
  for (const method of ['GET', 'POST', 'DELETE'] as const) {
    const r = await engine.app.inject({ method, url: '/api/v1/no/such/thing?token=abc' });
    assert.equal(r.statusCode, 404, method);
    assert.equal(r.json().code, 'NOT_FOUND');
    assert.ok(!r.body.includes('token=abc'));
  }
});

test('every answer carries its request id', async () => {
  const r = await engine.app.inject({ url: '/api/v1/whoami', headers: engine.auth(engine.seed!.token) });
  assert.match(String(r.headers['x-request-id']), /^req_[0-9a-f]{12}$/);
});

test('an unexpected error is logged with its request id and answered as a bare 500', async () => {
  const lines: string[] = [];
  const app = Fastify({ logger: false, genReqId: () => 'req_fixed' });
  app.setErrorHandler(createErrorHandler(createLogger({ write: (l) => lines.push(l) })));
  app.setNotFoundHandler(notFoundHandler);
  app.get('/boom', async () => { throw new Error('connection to db at 10.0.0.5 failed: password=hunter2'); });
  app.get('/known', async () => { throw new HangarError('CONFLICT', 'already there'); });
  try {
    const r = await app.inject({ url: '/boom' });
    assert.equal(r.statusCode, 500);
    assert.deepEqual(r.json(), { code: 'INTERNAL', message: 'Internal error (request req_fixed)' });
    assert.equal(lines.length, 1);
    const logged = JSON.parse(lines[0]!) as { reqId: string; level: string; err: { message: string } };
    assert.equal(logged.reqId, 'req_fixed');
    assert.equal(logged.level, 'error');
    assert.match(logged.err.message, /10\.0\.0\.5/);
    const k = await app.inject({ url: '/known' });
    assert.equal(k.statusCode, 409);
    assert.deepEqual(k.json(), { code: 'CONFLICT', message: 'already there' });
  } finally {
    await app.close();
  }
});

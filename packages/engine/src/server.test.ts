import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from './config.js';
import { createLogger } from './logger.js';
import { runEngineServer } from './server.js';
import { HangarError } from '@hangar/core';
import { createEngine } from './engine.js';
import { createTestEngine, type TestEngine } from './testing.js';
import type { Authenticator } from './http/auth.js';

test('runEngineServer listens on a free port, answers over real HTTP, and closes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-server-'));
  const lines: string[] = [];
  const secret = 'engine-secret-access-key-for-server-test';
  const opts = resolveConfig({ dataDir, port: 0, aws: { accessKeyId: 'AKIASERVERTEST000001', secretAccessKey: secret } });
  const running = await runEngineServer({ ...opts, logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }) });
  try {
    assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(running.engine.config.publicUrl, running.url, 'the public URL names the port actually used');
    const { token } = await running.engine.bootstrap.createOrg({ name: 'served', owner: { email: 'o@example.com' } });
    const res = await fetch(`${running.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token.token}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { user: { email: string } }).user.email, 'o@example.com');
    const bad = await fetch(`${running.url}/api/v1/whoami`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
  } finally {
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const log = lines.join('\n');
  assert.ok(log.includes('engine listening'));
  assert.ok(!log.includes(secret), 'the engine secret reached the log');
  await assert.rejects(fetch(`${running.url}/api/v1/whoami`));
});

test('every log line written while a request is served carries its request id, the one a 500 reply shows', async () => {
  const holder: { engine?: TestEngine } = {};
  const noisy: Authenticator = async (request) => {
    holder.engine!.logger.child({ part: 'test-authenticator' }).info('authenticator looked at the request', { url: request.url });
    if (request.headers['x-boom']) throw new Error('boom from an authenticator');
    return undefined;
  };
  const engine = holder.engine = await createTestEngine({ authenticators: [noisy] });
  try {
    const res = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${engine.seed!.org.id}/tokens`, headers: { 'x-boom': '1', 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x' }) });
    assert.equal(res.statusCode, 500);
    const body = res.json<{ code: string; message: string }>();
    const id = /request (req_[0-9a-f]+)/.exec(body.message)?.[1];
    assert.ok(id, body.message);
    assert.equal(res.headers['x-request-id'], id);
    const lines = engine.logs.map((l) => JSON.parse(l) as { msg: string; reqId?: string; part?: string });
    const looked = lines.filter((l) => l.msg === 'authenticator looked at the request');
    assert.equal(looked.length, 1);
    assert.equal(looked[0]!.reqId, id, 'a line from code that never saw the request carries its id');
    assert.equal(looked[0]!.part, 'test-authenticator');
    assert.equal(lines.find((l) => l.msg === 'request failed')?.reqId, id);

    // Two requests at once keep their own ids.
    const [a, b] = await Promise.all(['/api/v1/whoami', '/api/v1/whoami'].map((url) => engine.app.inject({ url, headers: engine.auth(engine.seed!.token) })));
    const ids = new Set([a!.headers['x-request-id'], b!.headers['x-request-id']]);
    const seen = engine.logs.map((l) => JSON.parse(l) as { msg: string; reqId?: string }).filter((l) => l.msg === 'authenticator looked at the request' && ids.has(l.reqId)).length;
    assert.equal(ids.size, 2);
    assert.equal(seen, 0, 'the token authenticator answered first, so the test one did not run');
    assert.ok(!engine.logs.some((l) => l.includes(engine.seed!.token.token)));
    // Lines outside a request carry no request id.
    engine.logger.info('outside any request');
    assert.equal((JSON.parse(engine.logs.at(-1)!) as { reqId?: string }).reqId, undefined);
  } finally {
    await engine.close();
  }
});

test('HANGAR_MIGRATE=off: the engine refuses a database that is behind, and starts on one that is up to date', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-migrate-'));
  try {
    const opts = resolveConfig({ dataDir, port: 0 });
    await assert.rejects(createEngine({ config: opts.config, migrate: false, logger: createLogger({ write: () => {} }) }), (e: unknown) => {
      assert.ok(e instanceof HangarError);
      assert.equal(e.code, 'ENGINE_DATABASE_BEHIND');
      assert.match(e.message, /HANGAR_MIGRATE=off/);
      assert.match(e.message, /HANGAR_MIGRATE=on/);
      return true;
    });
    const migrated = await createEngine({ config: opts.config, logger: createLogger({ write: () => {} }) });
    await migrated.close();
    const again = await createEngine({ config: opts.config, migrate: false, logger: createLogger({ write: () => {} }) });
    await again.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

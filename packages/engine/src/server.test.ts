import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from './config.js';
import { createLogger } from './logger.js';
import { runEngineServer } from './server.js';

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

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromEnv } from '../config.js';
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { check } from './check.js';
import type { EngineIo } from './io.js';

async function runCheck(env: Record<string, string>): Promise<string> {
  let out = '';
  const io: EngineIo = { env, stdout: { write: (t: string) => { out += t; } }, stderr: { write: () => {} } };
  await check(io);
  return out;
}

test('check says whether HANGAR_SECRET_KEY opens the signing keys in the database, without showing it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-check-secret-'));
  const secret = randomBytes(32).toString('hex');
  // The engine's identity is refused fast (nothing listens there): only the secret line matters here.
  const env = { HOME: dataDir, HANGAR_DATA_DIR: dataDir, HANGAR_SECRET_KEY: secret, HANGAR_AWS_ENDPOINT: 'http://127.0.0.1:1', HANGAR_ENGINE_ACCESS_KEY_ID: 'AKIATESTENGINE000000', HANGAR_ENGINE_SECRET_ACCESS_KEY: 'test-engine-secret-key-not-real-000000' };
  try {
    const engine = await createEngine({ config: { ...loadConfigFromEnv(env).config, workers: 0 }, logger: createLogger({ level: 'error', write: () => {} }) });
    await engine.close();
    assert.match(await runCheck(env), /✔ secret key: HANGAR_SECRET_KEY opens the signing keys in the database/);
    const other = randomBytes(32).toString('hex');
    const wrong = await runCheck({ ...env, HANGAR_SECRET_KEY: other });
    assert.match(wrong, /✖ secret key: the signing keys in the database were encrypted with secret key id [0-9a-f]{16}, but HANGAR_SECRET_KEY has id [0-9a-f]{16}; `serve` would stop with ENGINE_SECRET_KEY_MISMATCH/);
    assert.ok(!wrong.includes(other) && !wrong.includes(secret), 'no secret is shown');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

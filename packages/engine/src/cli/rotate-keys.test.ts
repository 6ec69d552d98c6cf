import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFromEnv } from '../config.js';
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import type { EngineIo } from './io.js';
import { rotateKeys } from './rotate-keys.js';

function io(env: Record<string, string>) {
  const out = { stdout: '', stderr: '' };
  const value: EngineIo = { env, stdout: { write: (t: string) => { out.stdout += t; } }, stderr: { write: (t: string) => { out.stderr += t; } } };
  return { io: value, out };
}

test('rotate-keys gives a running engine new keys without a restart; the previous OIDC key stays in its JWKS', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-rotate-'));
  const env = { HOME: dataDir, HANGAR_DATA_DIR: dataDir, HANGAR_WORKERS: '0' };
  const engine = await createEngine({ config: loadConfigFromEnv(env).config, logger: createLogger({ level: 'error', write: () => {} }) });
  try {
    const kids = async () => ((await engine.app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const [before] = await kids();
    const auditBefore = (await engine.keyring.current('audit')).kid;

    const bad = io(env);
    assert.equal(await rotateKeys(bad.io, { only: 'tls' }), 1);
    assert.match(bad.out.stderr, /VALIDATION_FAILED: --only: expected oidc or audit, got "tls"/);
    assert.equal(await rotateKeys(bad.io, { overlapHours: 'soon' }), 1);
    assert.match(bad.out.stderr, /--overlap-hours: expected a number of hours from 1 to 2160, got "soon"/);
    assert.deepEqual(await kids(), [before], 'a refused rotation changes nothing');

    const ok = io(env);
    assert.equal(await rotateKeys(ok.io, { only: 'oidc', overlapHours: '2' }), 0, ok.out.stderr);
    const [now, previous] = await kids();
    assert.notEqual(now, before);
    assert.equal(previous, before);
    assert.match(ok.out.stdout, new RegExp(`Rotated the OIDC token signing key: now ${now}; the previous key ${before} stays in the JWKS for 2 h`));
    assert.equal((await engine.keyring.current('audit')).kid, auditBefore, '--only oidc leaves the audit key alone');

    const both = io(env);
    assert.equal(await rotateKeys(both.io), 0, both.out.stderr);
    assert.notEqual((await engine.keyring.current('audit')).kid, auditBefore);
    assert.equal((await kids()).length, 3, 'two previous OIDC keys inside their overlap');
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

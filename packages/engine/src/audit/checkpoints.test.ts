// The checkpoint key (creation, rotation, trusted keys from the data dir only), the timed sweep,
// and the settings that drive them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '@hangar/core';
import { checkpointMaterial, checkpointSignatureValid } from '@hangar/core/audit';
import { loadConfigFromEnv } from '../config.js';
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { createTestEngine } from '../testing.js';
import { checkpointKeyFile, loadCheckpointSigner, trustedCheckpointKeys, trustedKeysDir } from './checkpoint-key.js';

test('the key is created once (0600), reused, and after a rotation the old one stays trusted; junk in trusted-keys is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-ckpkey-'));
  try {
    const a = await loadCheckpointSigner(dir);
    assert.equal(statSync(checkpointKeyFile(dir)).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'audit')).mode & 0o777, 0o700);
    assert.equal((await loadCheckpointSigner(dir)).keyId, a.keyId, 'the same key on the next start');
    const fields = { orgId: 'org_1', seq: 1, id: 'ckp_1', ts: '2026-01-01T00:00:00.000Z', eventCount: 3, headHash: 'h', prevSignature: '', keyId: a.keyId };
    const sigA = a.sign(checkpointMaterial(fields));
    assert.ok(checkpointSignatureValid(fields, sigA, a.publicKey));
    assert.ok(!checkpointSignatureValid({ ...fields, eventCount: 4 }, sigA, a.publicKey), 'the count is signed');

    mkdirSync(trustedKeysDir(dir), { recursive: true });
    renameSync(checkpointKeyFile(dir), join(trustedKeysDir(dir), 'retired-1.pem'));
    writeFileSync(join(trustedKeysDir(dir), 'junk.pem'), 'not a key');
    const b = await loadCheckpointSigner(dir);
    assert.notEqual(b.keyId, a.keyId);
    const warnings: string[] = [];
    const keys = await trustedCheckpointKeys(dir, b, (msg) => warnings.push(msg));
    assert.deepEqual(keys.map((k) => k.keyId), [b.keyId, a.keyId]);
    assert.ok(keys.every((k) => !k.publicKey.includes('PRIVATE')), 'only public halves are published');
    assert.equal(warnings.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the sweep signs orgs whose head moved, even below the event threshold', async () => {
  const engine = await createTestEngine({ config: { audit: { checkpointEvery: 1000, checkpointIntervalMs: 50 } } });
  try {
    const orgId = engine.seed!.org.id;
    const list = () => engine.db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).execute();
    for (let i = 0; i < 200 && (await list()).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const [first] = await list();
    assert.ok(first, 'a checkpoint was signed by the sweep');
    assert.equal(Number(first.event_count), 3);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await list()).length, 1, 'nothing new to sign: no new checkpoint');
  } finally {
    await engine.close();
  }
});

test('an engine whose store holds checkpoints signed by a key it does not trust says so at start', async () => {
  const first = await createTestEngine({ config: { audit: { checkpointEvery: 1, checkpointIntervalMs: 3_600_000 } } });
  try {
    assert.ok((await first.db.selectFrom('audit_checkpoints').selectAll().execute()).length > 0);
    // Another engine, with its own data dir (so its own key), sharing this store.
    const otherDir = mkdtempSync(join(tmpdir(), 'hangar-ckpkey-other-'));
    const logs: string[] = [];
    try {
      const second = await createEngine({ config: { ...first.config, dataDir: otherDir, workers: 0 }, db: first.db, logger: createLogger({ level: 'warn', write: (l) => logs.push(l) }) });
      await second.close();
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    assert.ok(logs.some((l) => l.includes('signed by keys this engine does not trust')), logs.join('\n'));
  } finally {
    await first.close();
  }
});

test('HANGAR_AUDIT_CHECKPOINT_* are read, defaulted and checked', () => {
  const base = { HOME: '/h', HANGAR_ENGINE_ACCESS_KEY_ID: 'AKIAEXAMPLE000000000', HANGAR_ENGINE_SECRET_ACCESS_KEY: 'secret-secret-secret-0000' };
  assert.deepEqual(loadConfigFromEnv(base).config.audit, { checkpointEvery: 100, checkpointIntervalMs: 15 * 60_000 });
  assert.deepEqual(loadConfigFromEnv({ ...base, HANGAR_AUDIT_CHECKPOINT_EVERY: '20', HANGAR_AUDIT_CHECKPOINT_MINUTES: '5' }).config.audit, { checkpointEvery: 20, checkpointIntervalMs: 300_000 });
  assert.throws(() => loadConfigFromEnv({ ...base, HANGAR_AUDIT_CHECKPOINT_EVERY: 'lots', HANGAR_AUDIT_CHECKPOINT_MINUTES: '0' }), (e: unknown) => {
    assert.ok(e instanceof HangarError);
    assert.equal(e.code, 'ENGINE_CONFIG_INVALID');
    assert.match(e.message, /HANGAR_AUDIT_CHECKPOINT_EVERY: .*whole number of events/);
    assert.match(e.message, /HANGAR_AUDIT_CHECKPOINT_MINUTES: .*from 1 to 1440/);
    return true;
  });
});

// The checkpoint key (its kind for the keyring, trusted keys from the keyring and the data dir), the timed sweep,
// and the settings that drive them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HangarError } from '@hangar/core';
import { checkpointMaterial, checkpointSignatureValid } from '@hangar/core/audit';
import { loadConfigFromEnv } from '../config.js';
import { createEngine } from '../engine.js';
import { createLogger } from '../logger.js';
import { createTestEngine } from '../testing.js';
import { checkpointKeyFile, checkpointKeyKind, trustedCheckpointKeys, trustedKeysDir } from './checkpoint-key.js';

test('trusted keys: the stored ones (current first), then the Ed25519 PEMs of trusted-keys/; junk there is skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-ckpkey-'));
  try {
    const kind = checkpointKeyKind(dir);
    assert.equal(await kind.legacy(), undefined, 'no legacy key file in a fresh data dir');
    const a = await kind.generate();
    const b = await kind.generate();
    assert.notEqual(a.kid, b.kid);
    const sk = (m: typeof a, retiredAt: string | null) => ({ ...m, purpose: 'audit' as const, createdAt: '2026-01-01T00:00:00.000Z', retiredAt, publishUntil: null });
    const fields = { orgId: 'org_1', seq: 1, id: 'ckp_1', ts: '2026-01-01T00:00:00.000Z', eventCount: 3, headHash: 'h', prevSignature: '', keyId: a.kid };
    const sigA = sign(null, checkpointMaterial(fields), createPrivateKey(a.privateKey)).toString('base64');
    assert.ok(checkpointSignatureValid(fields, sigA, a.publicKey));
    assert.ok(!checkpointSignatureValid({ ...fields, eventCount: 4 }, sigA, a.publicKey), 'the count is signed');

    mkdirSync(trustedKeysDir(dir), { recursive: true });
    const c = await kind.generate();
    writeFileSync(join(trustedKeysDir(dir), 'retired-1.pem'), c.privateKey);
    writeFileSync(join(trustedKeysDir(dir), 'junk.pem'), 'not a key');
    const warnings: string[] = [];
    const keys = await trustedCheckpointKeys(dir, [sk(b, null), sk(a, '2026-01-02T00:00:00.000Z')], (msg) => warnings.push(msg));
    assert.deepEqual(keys.map((k) => k.keyId), [b.kid, a.kid, c.kid]);
    assert.ok(keys.every((k) => !k.publicKey.includes('PRIVATE')), 'only public halves are published');
    assert.equal(warnings.length, 1);

    writeFileSync(checkpointKeyFile(dir), a.privateKey, { mode: 0o600 });
    assert.equal((await kind.legacy())?.kid, a.kid, 'a pre-keyring checkpoint-key.pem is read for import');
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
    // The key that signed them disappears from the keyring (as if from another installation).
    await first.db.updateTable('audit_checkpoints').set({ key_id: 'f'.repeat(32) }).execute();
    const logs: string[] = [];
    const second = await createEngine({ config: { ...first.config, workers: 0 }, db: first.db, logger: createLogger({ level: 'warn', write: (l) => logs.push(l) }) });
    await second.close();
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

// The export verifier on its own: built exports, each kind of damage, and the trust rules for keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { canonicalJson, checkpointMaterial, eventHash, keyIdOf } from './chain.js';
import { AUDIT_EXPORT_FORMAT, parseAuditExport, type AuditExport, type AuditPublicKey, type ExportedCheckpoint, type ExportedEvent } from './export.js';
import { verifyAuditExport } from './verify.js';

function keyPair(): { key: AuditPublicKey; signWith(m: Buffer): string } {
  const pair = generateKeyPairSync('ed25519');
  const publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { key: { keyId: keyIdOf(publicKey), algorithm: 'Ed25519', publicKey, createdAt: '2026-01-01T00:00:00.000Z' }, signWith: (m) => sign(null, m, pair.privateKey).toString('base64') };
}

/** An org's export with `n` events and a checkpoint at each of `at`. */
function build(n: number, at: number[], k = keyPair(), orgId = 'org_a'): AuditExport {
  const events: ExportedEvent[] = [];
  let prev = '';
  for (let seq = 1; seq <= n; seq++) {
    const e = { seq, id: `aud_${seq}`, ts: `2026-01-01T00:00:${String(seq).padStart(2, '0')}.000Z`, kind: 'token.created', actor: 'engine', subject: null, data: canonicalJson({ n: seq }), prevHash: prev };
    const hash = eventHash({ orgId, ...e });
    events.push({ ...e, hash });
    prev = hash;
  }
  const checkpoints: ExportedCheckpoint[] = [];
  let prevSignature = '';
  at.forEach((count, i) => {
    const c = { seq: i + 1, id: `ckp_${i + 1}`, ts: '2026-01-01T01:00:00.000Z', eventCount: count, headHash: count === 0 ? '' : events[count - 1]!.hash, prevSignature, keyId: k.key.keyId };
    const signature = k.signWith(checkpointMaterial({ orgId, ...c }));
    checkpoints.push({ ...c, signature });
    prevSignature = signature;
  });
  return { format: AUDIT_EXPORT_FORMAT, orgId, exportedAt: '2026-01-01T02:00:00.000Z', engine: 'http://127.0.0.1:7300', keys: [k.key], events, checkpoints };
}

test('an intact export verifies; its newest checkpoint is reported', () => {
  const doc = build(7, [3, 7]);
  const r = verifyAuditExport(doc, { trustedKeys: doc.keys });
  assert.deepEqual([r.ok, r.events, r.checkpoints, r.latestCheckpoint?.eventCount, r.problems], [true, 7, 2, 7, []]);
  assert.equal(verifyAuditExport(build(0, []), { trustedKeys: [] }).ok, true, 'an empty log is intact');
});

test('without a trusted key nothing is believed, and the export must be of the same org', () => {
  const doc = build(3, [3]);
  const r = verifyAuditExport(doc, { trustedKeys: [] });
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!.reason, /checkpoint 1 \(ckp_1\) is signed by key \w+, which is not a trusted key/);
  const other = build(3, [3], keyPair(), 'org_b');
  assert.match(verifyAuditExport(doc, { trustedKeys: doc.keys, against: other }).problems[0]!.reason, /of organisation org_b, not org_a/);
});

test('a checkpoint moved to another org does not verify there: the org id is signed', () => {
  const k = keyPair();
  const a = build(3, [3], k, 'org_a');
  const b = build(3, [3], k, 'org_b');
  assert.equal(verifyAuditExport(b, { trustedKeys: [k.key] }).ok, true);
  const r = verifyAuditExport({ ...b, checkpoints: a.checkpoints }, { trustedKeys: [k.key] });
  assert.equal(r.ok, false);
  assert.match(r.problems[0]!.reason, /checkpoint 1 \(ckp_1\) has a signature that does not verify/);
});

test('parseAuditExport names what is missing', () => {
  assert.throws(() => parseAuditExport('nope'), /not JSON/);
  assert.throws(() => parseAuditExport('{"format":"hangar-audit-export-v1","orgId":"o","keys":[],"events":{}}'), /"events" is not a list/);
  assert.equal(parseAuditExport(JSON.stringify(build(1, [1]))).events.length, 1);
});

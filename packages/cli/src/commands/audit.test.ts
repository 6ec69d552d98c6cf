/**
 * Signed audit checkpoints, `hangar audit export` and `hangar audit verify [--against]`, driven
 * through the CLI's command functions against a real engine listening on port 0 (SQLite, and
 * PostgreSQL when HANGAR_TEST_PG is set). The tampering is done the way an attacker with write
 * access to the database would: directly in the tables, recomputing every hash they can.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { checkpointMaterial, eventHash, keyIdOf, type AuditExport } from '@hangar/core/audit';
import { createTestEngine, testDatabases, type TestEngine } from '@hangar/engine';
import { testContext } from '../testing/helpers.js';
import { main } from '../main.js';

for (const database of testDatabases()) describe(`signed audit checkpoints, export and verify (${database.kind})`, { skip: database.skip }, () => {
  let engine: TestEngine;
  let url: string;
  let dir: string;
  let orgId: string;
  let exportNo = 0;

  async function hangar(args: string[]) {
    const ctx = testContext(dir, { HANGAR_URL: url, HANGAR_TOKEN: engine.seed!.token.token, HANGAR_HOME: join(dir, 'home') });
    const code = await main(args, ctx);
    return { code, out: ctx.stdout.text(), err: ctx.stderr.text() };
  }
  async function exportNow(): Promise<{ file: string; doc: AuditExport }> {
    const file = `export-${++exportNo}.json`;
    const r = await hangar(['audit', 'export', '--out', file]);
    assert.equal(r.code, 0, r.err);
    return { file, doc: JSON.parse(readFileSync(join(dir, file), 'utf8')) as AuditExport };
  }
  const api = (path: string, method: 'GET' | 'POST' = 'GET') => engine.app.inject({ method, url: `/api/v1/orgs/${orgId}${path}`, headers: engine.auth(engine.seed!.token) });
  const addEvents = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = await engine.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/tokens`, headers: engine.auth(engine.seed!.token), payload: { name: `t${exportNo}-${i}-${Date.now()}` } });
      assert.equal(r.statusCode, 201, r.body);
    }
  };

  // --- what an attacker with database access does -------------------------------------------
  type Rows = { events: Record<string, unknown>[]; heads: Record<string, unknown>[]; checkpoints: Record<string, unknown>[] };
  async function snapshot(): Promise<Rows> {
    return {
      events: await engine.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).execute(),
      heads: await engine.db.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId).execute(),
      checkpoints: await engine.db.selectFrom('audit_checkpoints').selectAll().where('org_id', '=', orgId).execute(),
    };
  }
  async function restore(rows: Rows): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const db = engine.db as any;
    for (const [table, list] of [['audit_events', rows.events], ['audit_heads', rows.heads], ['audit_checkpoints', rows.checkpoints]] as const) {
      await db.deleteFrom(table).where('org_id', '=', orgId).execute();
      for (const r of list) await db.insertInto(table).values(r).execute();
    }
    assert.equal((await api('/audit/verify')).json().ok, true, 'restored');
  }
  /** Change one event and recompute every later hash and the head, so the plain chain verifies again. */
  async function rewriteAndRechain(seq: number, data: Record<string, unknown>): Promise<void> {
    const rows = await engine.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('seq', 'asc').execute();
    let prev = rows[seq - 2]?.hash ?? '';
    for (const r of rows.slice(seq - 1)) {
      const changed = Number(r.seq) === seq ? JSON.stringify(data) : r.data;
      const hash = eventHash({ orgId, seq: Number(r.seq), id: r.id, ts: r.ts, kind: r.kind, actor: r.actor, subject: r.subject, data: changed, prevHash: prev });
      await engine.db.updateTable('audit_events').set({ data: changed, prev_hash: prev, hash }).where('org_id', '=', orgId).where('seq', '=', r.seq).execute();
      prev = hash;
    }
    await engine.db.updateTable('audit_heads').set({ hash: prev }).where('org_id', '=', orgId).execute();
  }
  async function deleteTail(n: number): Promise<number> {
    const head = await engine.db.selectFrom('audit_heads').selectAll().where('org_id', '=', orgId).executeTakeFirstOrThrow();
    const keep = Number(head.seq) - n;
    await engine.db.deleteFrom('audit_events').where('org_id', '=', orgId).where('seq', '>', keep).execute();
    const last = await engine.db.selectFrom('audit_events').select('hash').where('org_id', '=', orgId).where('seq', '=', keep).executeTakeFirstOrThrow();
    await engine.db.updateTable('audit_heads').set({ seq: keep, hash: last.hash }).where('org_id', '=', orgId).execute();
    return keep;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-cli-audit-'));
    engine = await createTestEngine({ database: database.kind, config: { audit: { checkpointEvery: 5, checkpointIntervalMs: 3_600_000 } } });
    await engine.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(engine.app.server.address() as AddressInfo).port}`;
    orgId = engine.seed!.org.id;
    await addEvents(12); // 3 seeded + 12 = 15 events: checkpoints at 5, 10 and 15
  });
  after(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every N events the engine signs the head with its own Ed25519 key, chained to the previous checkpoint; the key is public', async () => {
    const { checkpoints } = (await api('/audit/checkpoints')).json() as AuditExport;
    assert.deepEqual(checkpoints.map((c) => [c.seq, c.eventCount]), [[1, 5], [2, 10], [3, 15]]);
    const keysRes = await engine.app.inject({ url: '/.well-known/hangar-audit-keys.json' }); // no credentials
    assert.equal(keysRes.statusCode, 200);
    const [key] = (keysRes.json() as { keys: AuditExport['keys'] }).keys;
    assert.equal(key!.algorithm, 'Ed25519');
    assert.equal(key!.keyId, keyIdOf(key!.publicKey));
    const events = (await engine.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('seq').execute());
    let prev = '';
    for (const c of checkpoints) {
      assert.equal(c.keyId, key!.keyId);
      assert.equal(c.prevSignature, prev, 'each checkpoint signs the previous one\'s signature');
      assert.equal(c.headHash, events[c.eventCount - 1]!.hash);
      assert.ok(verify(null, checkpointMaterial({ orgId, ...c }), createPublicKey(key!.publicKey), Buffer.from(c.signature, 'base64')), `checkpoint ${c.seq} signature`);
      prev = c.signature;
    }
    // The private key lives in the database encrypted with the engine's secret (0600 in the data dir for a lone engine).
    assert.equal(statSync(join(engine.dataDir, 'secret-key')).mode & 0o777, 0o600);
    const stored = await engine.db.selectFrom('signing_keys').selectAll().where('kid', '=', key!.keyId).executeTakeFirstOrThrow();
    assert.match((await engine.keyring.current('audit')).privateKey, /BEGIN PRIVATE KEY/);
    assert.ok(!stored.encrypted_private_key.includes('BEGIN'), 'not in plain text');
    assert.deepEqual((await api('/audit/verify')).json(), { ok: true, count: 15 });
  });

  test('export signs a checkpoint of the head first and writes events, checkpoints and keys; verify --against it passes', async () => {
    await addEvents(2);
    const { doc } = await exportNow();
    assert.equal(doc.format, 'hangar-audit-export-v1');
    assert.equal(doc.orgId, orgId);
    assert.equal(doc.events.length, 17);
    assert.equal(doc.checkpoints.at(-1)!.eventCount, 17, 'the newest checkpoint covers every exported event');
    assert.ok(doc.keys.length >= 1);
    const again = await exportNow();
    assert.equal(again.doc.checkpoints.length, doc.checkpoints.length, 'no new checkpoint when the head has not moved');
    await addEvents(1);
    const r = await hangar(['audit', 'verify', '--against', again.file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Audit chain intact: 18 events, 5 signed checkpoints \(the newest, ckp_\w+, covers 18 events\); everything in export-\d+\.json \(17 events, 4 checkpoints\) is unchanged/);
    const json = JSON.parse((await hangar(['audit', 'verify', '--json'])).out) as { ok: boolean; problems: unknown[] };
    assert.deepEqual([json.ok, json.problems], [true, []]);
  });

  test('a rewritten event with every later hash recomputed is caught by the signed checkpoints and named against an export', async () => {
    const saved = await snapshot();
    const earlier = await exportNow();
    try {
      await rewriteAndRechain(4, { name: 'nothing-to-see' });
      const plain = await hangar(['audit', 'verify']);
      assert.equal(plain.code, 1);
      assert.match(plain.err, /an event from 1 to 5 was rewritten and the chain recomputed: .*checkpoint 1 \(ckp_/);
      const against = await hangar(['audit', 'verify', '--against', earlier.file]);
      assert.equal(against.code, 1);
      assert.match(against.err, new RegExp(`first bad event 4 \\(${saved.events.find((e) => Number(e.seq) === 4)!.id as string}\\): event 4 .* differs from the earlier export \\(rewritten, and its hash recomputed\\)`));
      const engineSide = (await api('/audit/verify')).json() as { ok: boolean; brokenAt: { reason: string } };
      assert.equal(engineSide.ok, false);
      assert.match(engineSide.brokenAt.reason, /rewritten and the chain recomputed/);
    } finally {
      await restore(saved);
    }
  });

  test('a deleted tail is caught: the newest checkpoint counts more events than remain', async () => {
    const saved = await snapshot();
    const earlier = await exportNow();
    const total = earlier.doc.events.length;
    try {
      const keep = await deleteTail(3);
      const against = await hangar(['audit', 'verify', '--against', earlier.file]);
      assert.equal(against.code, 1);
      assert.match(against.err, new RegExp(`first bad event ${keep + 1} \\(aud_\\w+\\): .*no longer in the log \\(removed\\)`));
      const plain = await hangar(['audit', 'verify']);
      assert.equal(plain.code, 1);
      assert.match(plain.err, new RegExp(`first bad event ${keep + 1}: events ${keep + 1} to \\d+ are missing \\(removed from the end of the log\\): checkpoint \\d+ \\(ckp_\\w+\\), signed .*, counts \\d+ events but ${keep} are present`));
      const engineSide = (await api('/audit/verify')).json() as { ok: boolean; brokenAt: { seq: number } };
      assert.deepEqual([engineSide.ok, engineSide.brokenAt.seq], [false, keep + 1]);
      const { checkpoints } = (await api('/audit/checkpoints')).json() as AuditExport;
      assert.equal(checkpoints.at(-1)!.eventCount, total, 'the engine signed nothing over the truncated log');
    } finally {
      await restore(saved);
    }
  });

  test('a replaced checkpoint is caught: altered, forged with another key, removed, or all wiped and re-signed', async () => {
    const saved = await snapshot();
    const earlier = await exportNow();
    const ckp = (seq: number) => saved.checkpoints.find((c) => Number(c.seq) === seq)!;
    try {
      // Altered to match a rewritten chain, without the key: the signature fails.
      await rewriteAndRechain(4, { name: 'nothing-to-see' });
      const rows = await engine.db.selectFrom('audit_events').select(['seq', 'hash']).where('org_id', '=', orgId).execute();
      const hashAt = new Map(rows.map((r) => [Number(r.seq), r.hash]));
      for (const c of saved.checkpoints) {
        await engine.db.updateTable('audit_checkpoints').set({ head_hash: hashAt.get(Number(c.event_count))! }).where('org_id', '=', orgId).where('seq', '=', Number(c.seq)).execute();
      }
      let r = await hangar(['audit', 'verify']);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`first bad checkpoint 1 \\(${ckp(1).id as string}\\): .*signature that does not verify`));

      // Re-signed with a key of the attacker's own, properly chained: not a trusted key.
      const forger = generateKeyPairSync('ed25519');
      const forgedKeyId = keyIdOf(forger.publicKey.export({ type: 'spki', format: 'pem' }).toString());
      let prev = '';
      for (const c of [...saved.checkpoints].sort((a, b) => Number(a.seq) - Number(b.seq))) {
        const fields = { orgId, seq: Number(c.seq), id: c.id as string, ts: c.ts as string, eventCount: Number(c.event_count), headHash: hashAt.get(Number(c.event_count))!, prevSignature: prev, keyId: forgedKeyId };
        const signature = sign(null, checkpointMaterial(fields), forger.privateKey).toString('base64');
        await engine.db.updateTable('audit_checkpoints').set({ head_hash: fields.headHash, prev_signature: prev, key_id: forgedKeyId, signature }).where('org_id', '=', orgId).where('seq', '=', fields.seq).execute();
        prev = signature;
      }
      r = await hangar(['audit', 'verify']);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`first bad checkpoint 1 \\(${ckp(1).id as string}\\): .*signed by key ${forgedKeyId}, which is not a trusted key`));
      r = await hangar(['audit', 'verify', '--against', earlier.file]);
      assert.equal(r.code, 1);
      assert.match(r.err, /first bad event 4 \(aud_\w+\)/);
      assert.match(r.err, /also: checkpoint 1 \(ckp_\w+\) .*not a trusted key.*earlier export does not list it/);

      // Every checkpoint wiped: the engine signs the rewritten head afresh, so only the earlier export can tell.
      await engine.db.deleteFrom('audit_checkpoints').where('org_id', '=', orgId).execute();
      r = await hangar(['audit', 'verify']);
      assert.equal(r.code, 0, 'without an outside copy a wiped log looks new (as with CloudTrail digests deleted with their logs)');
      r = await hangar(['audit', 'verify', '--against', earlier.file]);
      assert.equal(r.code, 1);
      assert.match(r.err, /first bad event 4 /);
      assert.match(r.err, new RegExp(`also: checkpoint 1 \\(${ckp(1).id as string}\\) differs from the earlier export \\(replaced\\)`));
    } finally {
      await restore(saved);
    }

    // One checkpoint removed from the middle: the checkpoint chain breaks there.
    await engine.db.deleteFrom('audit_checkpoints').where('org_id', '=', orgId).where('seq', '=', 2).execute();
    try {
      const r = await hangar(['audit', 'verify']);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`first bad checkpoint 3 \\(${ckp(3).id as string}\\): .*out of place: expected checkpoint 2`));
      const engineSide = (await api('/audit/verify')).json() as { ok: boolean; brokenAt: { id: string } };
      assert.deepEqual([engineSide.ok, engineSide.brokenAt.id], [false, ckp(3).id]);
    } finally {
      await restore(saved);
    }
  });

  test('an export edited after the fact, a file that is no export, and a bucket target are refused with their codes', async () => {
    const { file, doc } = await exportNow();
    const edited = { ...doc, events: doc.events.map((e) => (e.seq === 2 ? { ...e, actor: 'someone-else' } : e)) };
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited));
    let r = await hangar(['audit', 'verify', '--against', 'edited.json']);
    assert.equal(r.code, 1);
    assert.match(r.err, /The earlier export edited\.json does not verify itself: first bad event 2 /);
    writeFileSync(join(dir, 'nope.json'), '{"hello":1}');
    r = await hangar(['audit', 'verify', '--against', 'nope.json']);
    assert.equal(r.code, 1);
    assert.match(r.err, /is not an audit export: "format" is not "hangar-audit-export-v1".*\(AUDIT_EXPORT_INVALID\)/);
    r = await hangar(['audit', 'verify', '--against', 'missing.json']);
    assert.match(r.err, /Cannot read .*missing\.json \(ENOENT\).*\(AUDIT_EXPORT_INVALID\)/);
    r = await hangar(['audit', 'export', '--bucket', 's3://audit-bucket/hangar']);
    assert.equal(r.code, 1);
    assert.match(r.err, /not available yet.*\(AUDIT_EXPORT_TARGET_UNSUPPORTED\)/);
    assert.equal((await hangar(['audit', 'verify', '--against', file])).code, 0);
  });
});

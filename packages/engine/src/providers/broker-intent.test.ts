// Issuance intent: `credentials.requested` is on record before STS is called, then `credentials.issued`
// or `credentials.failed`; when the intent cannot be written, STS is never called. STS is reached
// through a recording proxy in front of the real local cloud, which looks at the audit table at the
// moment each STS request arrives.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { HangarError } from '@hangar/core';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import type { Actor, CredentialBroker, ResolvedProvider } from '../types.js';
import { createProvidersFeature } from './index.js';
import { startCloudFixture, type CloudFixture } from './internal/cloud-fixture.js';

interface StsCall { action: string; requestedEventsBefore: number }

/** Forwards every request to the cloud unchanged (Host kept, so SigV4 still verifies) and records STS actions. */
async function startRecordingProxy(target: string, countRequested: () => Promise<number>): Promise<{ url: string; calls: StsCall[]; close(): Promise<void> }> {
  const calls: StsCall[] = [];
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body.toString('utf8'))?.[1] ?? '';
      void (async () => {
        if (action.startsWith('AssumeRole')) calls.push({ action, requestedEventsBefore: await countRequested() });
        const out = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', () => { res.statusCode = 502; res.end(); });
        out.end(body);
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => new Promise((r) => server.close(() => r())) };
}

for (const db of testDatabases()) describe(`issuance intent is audited before STS is called (${db.kind})`, { skip: db.skip }, () => {
  let fx: CloudFixture;
  let engine: TestEngine;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  let broker: CredentialBroker;
  let orgId: string;
  let provider: ResolvedProvider;
  let roleName: string;
  let trust: unknown;
  const actor: Actor = { kind: 'token', id: 'tok_ci', userId: 'usr_ci', name: 'token:ci' };
  const request = (deploymentId: string) => ({ deploymentId, orgId, appId: 'app_x', stage: 'dev', instanceId: 'ins_x', actor, provider });
  const kindsOf = async (deploymentId: string) =>
    (await engine.audit.list(orgId, { subject: `deployment:${deploymentId}` })).reverse().map((e) => e.kind);

  before(async () => {
    fx = await startCloudFixture();
    let counting: TestEngine | undefined;
    proxy = await startRecordingProxy(fx.endpoint, async () => (counting ? (await counting.audit.list(orgId, { kind: 'credentials.requested', limit: 500 })).length : 0));
    engine = counting = await createTestEngine({ database: db.kind, clock: fx.clock, config: { aws: { region: 'us-east-1', endpoint: proxy.url, credentials: fx.engineCredentials } } });
    orgId = engine.seed!.org.id;
    const headers = engine.auth(engine.seed!.token);
    const base = `/api/v1/orgs/${orgId}/providers`;
    const p = (await engine.app.inject({ method: 'POST', url: base, headers, payload: { name: 'intent' } })).json();
    roleName = 'hangar-intent';
    trust = p.setup.trustPolicy;
    const roleArn = await fx.createRole(roleName, trust);
    const v = (await engine.app.inject({ method: 'POST', url: `${base}/${p.id}/verify`, headers, payload: { roleArn } })).json();
    assert.equal(v.status, 'verified', JSON.stringify(v));
    provider = { id: p.id, name: 'intent', mode: 'assume-role', roleArn, region: 'us-east-1', sessionDurationSeconds: 900, linkedAt: 'org' };
    broker = createProvidersFeature({ db: engine.db, clock: engine.clock, logger: engine.logger, audit: engine.audit, config: engine.config, keyring: engine.keyring }).broker;
  });
  after(async () => { await engine?.close(); await proxy?.close(); await fx?.stop(); });

  test('a granted session: credentials.requested is written before STS sees the call, then credentials.issued', async () => {
    proxy.calls.length = 0;
    const session = await broker.open(request('dep_ok'));
    session.close();
    assert.deepEqual(proxy.calls.map((c) => c.action), ['AssumeRole']);
    const before = (await engine.audit.list(orgId, { kind: 'credentials.requested', limit: 500 })).length;
    assert.equal(proxy.calls[0]!.requestedEventsBefore, before, 'the intent event was already in the table when STS was called');
    assert.deepEqual(await kindsOf('dep_ok'), ['credentials.requested', 'credentials.issued']);
    const [requested] = await engine.audit.list(orgId, { kind: 'credentials.requested', subject: 'deployment:dep_ok' });
    assert.deepEqual([requested!.actor, requested!.data.sessionName, requested!.data.sourceIdentity, requested!.data.roleArn], ['token:ci', 'hangar-dep_ok', 'token_ci', provider.roleArn]);
    assert.ok(!('expiresAt' in requested!.data) && !('accessKeyIdLast4' in requested!.data), 'the intent carries no session facts');
  });

  test('a refused session: credentials.requested, then credentials.failed with the AWS error code', async () => {
    await fx.updateTrust(roleName, { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'sts:AssumeRole' }] });
    try {
      proxy.calls.length = 0;
      await assert.rejects(broker.open(request('dep_refused')), (e: HangarError) => e.code === 'PROVIDER_ASSUME_FAILED');
      assert.equal(proxy.calls.length, 1);
      assert.deepEqual(await kindsOf('dep_refused'), ['credentials.requested', 'credentials.failed']);
      const [failed] = await engine.audit.list(orgId, { kind: 'credentials.failed', subject: 'deployment:dep_refused' });
      assert.equal(failed!.data.awsCode, 'AccessDenied');
      assert.equal(typeof failed!.data.requestId, 'string');
      assert.equal(failed!.data.sessionName, 'hangar-dep_refused');
    } finally {
      await fx.updateTrust(roleName, trust);
    }
  });

  test('when the intent cannot be written, STS is not called and the error says why', async () => {
    proxy.calls.length = 0;
    const release = await blockAuditWrites(engine);
    try {
      await assert.rejects(broker.open(request('dep_blocked')), (e: HangarError) => {
        assert.equal(e.code, 'AUDIT_WRITE_FAILED');
        assert.match(e.message, /were not requested/);
        assert.match(e.message, /No session was created/);
        return true;
      });
    } finally {
      await release();
    }
    assert.deepEqual(proxy.calls, [], 'STS was never called');
    assert.deepEqual(await kindsOf('dep_blocked'), []);
    // Once the store answers again, the same deployment gets its session, on record.
    const session = await broker.open(request('dep_blocked'));
    session.close();
    assert.deepEqual(await kindsOf('dep_blocked'), ['credentials.requested', 'credentials.issued']);
    assert.equal((await engine.audit.verifyChain(orgId)).ok, true);
  });

  test('when the issuance cannot be recorded after STS answered, the credentials are discarded unused', async () => {
    proxy.calls.length = 0;
    const release = await refuseKind(engine, 'credentials.issued');
    try {
      await assert.rejects(broker.open(request('dep_unrecorded')), (e: HangarError) => {
        assert.equal(e.code, 'AUDIT_WRITE_FAILED');
        assert.match(e.message, /STS issued session hangar-dep_unrecorded but its audit event could not be written .*discarded unused/);
        return true;
      });
    } finally {
      await release();
    }
    assert.equal(proxy.calls.length, 1);
    assert.deepEqual(await kindsOf('dep_unrecorded'), ['credentials.requested'], 'the attempt is on record');
  });
});

/** A trigger that refuses audit events of one kind, as a store failing at that moment would. */
async function refuseKind(engine: TestEngine, kind: string): Promise<() => Promise<void>> {
  if (engine.databaseKind === 'sqlite') {
    await sql`create trigger refuse_kind before insert on audit_events when new.kind = ${sql.lit(kind)} begin select raise(abort, 'disk I/O error'); end`.execute(engine.db);
    return async () => { await sql`drop trigger refuse_kind`.execute(engine.db); };
  }
  await sql`create function refuse_kind() returns trigger as $$ begin if new.kind = ${sql.lit(kind)} then raise exception 'could not extend file: No space left on device'; end if; return new; end $$ language plpgsql`.execute(engine.db);
  await sql`create trigger refuse_kind before insert on audit_events for each row execute function refuse_kind()`.execute(engine.db);
  return async () => {
    await sql`drop trigger refuse_kind on audit_events`.execute(engine.db);
    await sql`drop function refuse_kind()`.execute(engine.db);
  };
}

/**
 * SQLite: another connection really holds the write lock (the engine waits its busy timeout, then
 * gets SQLITE_BUSY). PostgreSQL: a trigger refuses audit inserts, as a full disk or a revoked grant would.
 */
async function blockAuditWrites(engine: TestEngine): Promise<() => Promise<void>> {
  if (engine.databaseKind === 'sqlite') {
    const other = new SqliteDatabase(join(engine.dataDir, 'hangar.db'));
    other.exec('BEGIN IMMEDIATE');
    return async () => { other.exec('ROLLBACK'); other.close(); };
  }
  await sql`create function refuse_audit() returns trigger as $$ begin raise exception 'could not extend file: No space left on device'; end $$ language plpgsql`.execute(engine.db);
  await sql`create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()`.execute(engine.db);
  return async () => {
    await sql`drop trigger refuse_audit on audit_events`.execute(engine.db);
    await sql`drop function refuse_audit()`.execute(engine.db);
  };
}

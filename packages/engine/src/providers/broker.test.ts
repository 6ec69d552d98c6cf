// The credential broker against the real local cloud: resolution, issuance, refresh, and no leaks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { HangarError, type SessionCredentials } from '@hangar/core';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import { ownTables } from '../store/test-store.js';
import type { Actor, CredentialBroker, ResolvedProvider } from '../types.js';
import { createProvidersFeature } from './index.js';
import { startCloudFixture, WORKLOAD_ACCOUNT, type CloudFixture } from './internal/cloud-fixture.js';

for (const db of testDatabases()) describe(`credential broker against the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let fx: CloudFixture;
  let engine: TestEngine;
  let broker: CredentialBroker;
  let orgId: string;
  let base: string;
  let headers: { authorization: string };
  const actor: Actor = { kind: 'user', id: 'usr_test', userId: 'usr_test', name: 'user:alice@example.com' };
  const issued: SessionCredentials[] = [];

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    engine.app.inject({ method, url: `${base}${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  /** A provider whose role was created from its own setup and verified. */
  async function verifiedProvider(name: string): Promise<{ id: string; roleArn: string; trustPolicy: { Statement: Array<Record<string, unknown>> } }> {
    const p = (await call('POST', '', { name })).json();
    const roleArn = await fx.createRole(`hangar-${name}`, p.setup.trustPolicy);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.status, 'verified', JSON.stringify(v));
    return { id: p.id, roleArn, trustPolicy: p.setup.trustPolicy };
  }
  async function whoAmI(creds: SessionCredentials): Promise<string> {
    const sts = new STSClient({ region: 'us-east-1', endpoint: fx.endpoint, credentials: creds.toProvider() });
    try { return (await sts.send(new GetCallerIdentityCommand({}))).Arn!; } finally { sts.destroy(); }
  }

  before(async () => {
    fx = await startCloudFixture();
    engine = await createTestEngine({ database: db.kind, clock: fx.clock, config: { aws: { region: 'us-east-1', endpoint: fx.endpoint, credentials: fx.engineCredentials } } });
    orgId = engine.seed!.org.id;
    base = `/api/v1/orgs/${orgId}/providers`;
    headers = engine.auth(engine.seed!.token);
    broker = createProvidersFeature({ db: engine.db, clock: engine.clock, logger: engine.logger, audit: engine.audit, config: engine.config, keyring: engine.keyring }).broker;
  });
  after(async () => { await engine?.close(); await fx?.stop(); });

  test('with no provider linked, nothing is resolved and the error names the commands that fix it', async () => {
    await assert.rejects(broker.resolve({ orgId, appId: 'app_none', stage: 'prod', instanceId: 'ins_none' }), (e: unknown) => {
      assert.ok(e instanceof HangarError);
      assert.equal(e.code, 'PROVIDER_NOT_CONFIGURED');
      for (const s of ['hangar providers create <name> --role-arn <arn>', 'hangar providers verify <name>', 'hangar providers link <name> --org-default', '--app app_none --stage prod', 'http://127.0.0.1:7300/providers']) {
        assert.ok(e.message.includes(s), `message names ${s}: ${e.message}`);
      }
      return true;
    });
  });

  test('the most specific link wins, an unverified one is never skipped for a broader one', async () => {
    const main = await verifiedProvider('main');
    const narrow = await verifiedProvider('narrow');
    const pending = (await call('POST', '', { name: 'pending' })).json();

    const orgLink = await call('POST', `/${main.id}/links`, { scope: 'org' });
    assert.equal(orgLink.statusCode, 201, orgLink.body);
    const stageLink = (await call('POST', `/${pending.id}/links`, { scope: 'app-stage', app: 'shop', stage: 'prod' })).json().link;
    const shopId: string = stageLink.appId;
    assert.match(shopId, /^app_/);
    assert.equal(stageLink.app, 'shop');

    const dev = await broker.resolve({ orgId, appId: shopId, stage: 'dev', instanceId: 'ins_1' });
    assert.deepEqual([dev.name, dev.linkedAt, dev.roleArn], ['main', 'org', main.roleArn]);
    await assert.rejects(broker.resolve({ orgId, appId: shopId, stage: 'prod', instanceId: 'ins_1' }), (e: HangarError) => {
      assert.equal(e.code, 'PROVIDER_NOT_VERIFIED');
      assert.match(e.message, /hangar providers verify pending --role-arn <arn>/);
      return true;
    });

    // One provider per scope: a second one is a conflict naming the first and how to unlink it.
    const clash = await call('POST', `/${narrow.id}/links`, { scope: 'app-stage', app: 'shop', stage: 'prod' });
    assert.equal(clash.statusCode, 409);
    assert.match(clash.json().message, new RegExp(`hangar providers unlink pending ${stageLink.id}`));
    assert.equal((await call('DELETE', `/${pending.id}/links/${stageLink.id}`)).statusCode, 204);
    assert.equal((await call('POST', `/${narrow.id}/links`, { scope: 'app-stage', app: 'shop', stage: 'prod' })).statusCode, 201);
    const prod = await broker.resolve({ orgId, appId: shopId, stage: 'prod', instanceId: 'ins_1' });
    assert.deepEqual([prod.name, prod.linkedAt], ['narrow', 'app-stage']);

    await call('POST', `/${main.id}/links`, { scope: 'app', app: 'shop' });
    assert.equal((await broker.resolve({ orgId, appId: shopId, stage: 'dev', instanceId: 'ins_1' })).linkedAt, 'app');

    // An instance link beats everything.
    const now = new Date().toISOString();
    await engine.db.withTables<{ instances: Record<string, string | null> }>().insertInto('instances').values({
      id: 'ins_pinned', org_id: orgId, app_id: shopId, stage: 'prod', name: 'api', component: 'http-function', status: 'succeeded',
      inputs: '{}', outputs: '{}', state: '{}', last_deployment_id: null, updated_at: now,
    }).execute();
    assert.equal((await call('POST', `/${main.id}/links`, { scope: 'instance', instanceId: 'ins_pinned' })).statusCode, 201);
    const pinned = await broker.resolve({ orgId, appId: shopId, stage: 'prod', instanceId: 'ins_pinned' });
    assert.deepEqual([pinned.name, pinned.linkedAt], ['main', 'instance']);
    assert.equal((await call('POST', `/${main.id}/links`, { scope: 'instance', instanceId: 'ins_missing' })).statusCode, 404);

    const links = (await call('GET', `/${main.id}`)).json().links.map((l: { scope: string }) => l.scope);
    assert.deepEqual(links.sort(), ['app', 'instance', 'org']);
  });

  test('another org can neither resolve nor open this org\'s provider', async () => {
    const b = await engine.bootstrap.createOrg({ name: `other-${db.kind}`, owner: { email: 'mallory@example.com' } });
    const apps = await engine.db.withTables<{ apps: { id: string; org_id: string; name: string } }>().selectFrom('apps').select(['id']).where('org_id', '=', orgId).execute();
    assert.ok(apps.length > 0);
    await assert.rejects(broker.resolve({ orgId: b.org.id, appId: apps[0]!.id, stage: 'prod', instanceId: 'ins_pinned' }), { code: 'PROVIDER_NOT_CONFIGURED' });
    const a = await broker.resolve({ orgId, appId: apps[0]!.id, stage: 'prod', instanceId: 'ins_pinned' });
    await assert.rejects(broker.open({ deploymentId: 'dep_steal', orgId: b.org.id, appId: 'app_b', stage: 'prod', instanceId: 'ins_b', actor, provider: a }), { code: 'PROVIDER_NOT_CONFIGURED' });
    const issuedToB = (await engine.audit.list(b.org.id, { kind: 'credentials.issued' })).length + (await engine.audit.list(orgId, { kind: 'credentials.issued' })).filter((e) => e.subject === 'deployment:dep_steal').length;
    assert.equal(issuedToB, 0);
  });

  test('a session is named for the deployment, attributed to the actor and tagged with ids', async () => {
    const p = await verifiedProvider('tagged');
    // Tighten the role so AWS itself refuses any session without exactly these tags and source identity.
    const strict = structuredClone(p.trustPolicy);
    strict.Statement[0]!.Condition = {
      StringEquals: {
        ...(strict.Statement[0]!.Condition as { StringEquals: Record<string, string> }).StringEquals,
        'aws:RequestTag/hangar:org': orgId, 'aws:RequestTag/hangar:app': 'app_tagged', 'aws:RequestTag/hangar:stage': 'prod',
        'sts:SourceIdentity': 'user_alice@example.com',
      },
    };
    await fx.updateTrust('hangar-tagged', strict);
    const provider: ResolvedProvider = { id: p.id, name: 'tagged', mode: 'assume-role', roleArn: p.roleArn, region: 'us-east-1', sessionDurationSeconds: 900, linkedAt: 'org' };
    const request = { deploymentId: 'dep_0001', orgId, appId: 'app_tagged', stage: 'prod', instanceId: 'ins_t', actor, provider };

    const session = await broker.open(request);
    try {
      const creds = await session.current();
      issued.push(creds);
      assert.equal(session.endpoint, fx.endpoint);
      assert.equal(await whoAmI(creds), `arn:aws:sts::${WORKLOAD_ACCOUNT}:assumed-role/hangar-tagged/hangar-dep_0001`);
      const [event] = await engine.audit.list(orgId, { kind: 'credentials.issued' });
      assert.equal(event!.actor, 'user:alice@example.com');
      assert.equal(event!.subject, 'deployment:dep_0001');
      assert.equal(event!.data.roleArn, p.roleArn);
      assert.equal(event!.data.providerId, p.id);
      assert.equal(event!.data.sessionName, 'hangar-dep_0001');
      assert.equal(event!.data.sourceIdentity, 'user_alice@example.com');
      assert.deepEqual([event!.data.actorKind, event!.data.actorId, event!.data.userId], ['user', 'usr_test', 'usr_test'], 'attributable even when two actors sanitise alike');
      assert.equal(event!.data.expiresAt, creds.expiration!.toISOString());
      assert.deepEqual(event!.data.tags, { 'hangar:org': orgId, 'hangar:app': 'app_tagged', 'hangar:stage': 'prod' });
      const [keyId] = creds.secrets();
      assert.equal(event!.data.accessKeyIdLast4, keyId!.slice(-4));
      for (const s of creds.secrets()) assert.ok(!JSON.stringify(event).includes(s), 'no secret in the audit event');
    } finally {
      session.close();
    }

    // Another stage gets other tags, which this role refuses: an AWS error with its code and request id.
    await assert.rejects(broker.open({ ...request, stage: 'staging' }), (e: HangarError) => {
      assert.equal(e.code, 'PROVIDER_ASSUME_FAILED');
      assert.equal(e.details?.awsCode, 'AccessDenied');
      assert.equal(typeof e.details?.requestId, 'string');
      assert.ok(e.message.includes(p.roleArn));
      assert.match(e.message, /hangar providers verify tagged/);
      return true;
    });
  });

  test('a long deployment gets fresh credentials before expiry; the old ones really expire', async () => {
    const main = await broker.resolve({ orgId, appId: 'app_other', stage: 'dev', instanceId: 'ins_2' });
    const session = await broker.open({ deploymentId: 'dep_long', orgId, appId: 'app_other', stage: 'dev', instanceId: 'ins_2', actor, provider: main });
    try {
      const first = await session.current();
      issued.push(first);
      assert.equal(await session.current(), first, 'no refresh while plenty of time remains');
      await fx.clock.advance(700); // 200 s left: under the 5-minute margin
      const [a, b] = await Promise.all([session.current(), session.current()]);
      assert.equal(a, b, 'concurrent callers share one refresh');
      assert.notEqual(a.secrets()[0], first.secrets()[0]);
      issued.push(a);
      const events = (await engine.audit.list(orgId, { kind: 'credentials.issued' })).filter((e) => e.subject === 'deployment:dep_long');
      assert.deepEqual(events.map((e) => e.data.refresh), [true, false]);
      assert.match(await whoAmI(a), /assumed-role\/hangar-main\/hangar-dep_long$/);
      await fx.clock.advance(250); // the first session is now past its 900 s
      await assert.rejects(whoAmI(first), (e: Error) => e.name === 'ExpiredToken');
      assert.match(await whoAmI(a), /hangar-dep_long$/);

      engine.logger.info('a component logged its credentials by mistake', { creds: a.secrets().join(' '), first: first.secrets().join(' ') });
    } finally {
      session.close();
    }
    await assert.rejects(session.current(), /after it closed/);
  });

  test('issued secrets appear in no log line and no database row', async () => {
    assert.ok(issued.length >= 3);
    const secrets = issued.flatMap((c) => c.secrets());
    const logs = engine.logs.join('\n');
    assert.match(logs, /logged its credentials by mistake/);
    const rows: string[] = [];
    // This engine's tables only (other tests' schemas come and go), schema-qualified: on PostgreSQL
    // pg-boss keeps its tables (archive, job, …) in a schema of its own, `<schema>_pgboss`.
    const own = db.kind === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(engine.db)).rows[0]!.s : undefined;
    const tables = await ownTables(engine.db, own ? [own, `${own}_pgboss`] : undefined);
    for (const t of tables) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const all = await (engine.db as any).selectFrom(t.schema ? `${t.schema}.${t.name}` : t.name).selectAll().execute();
      rows.push(`${t.name}: ${JSON.stringify(all)}`);
    }
    const dump = rows.join('\n');
    assert.match(dump, /credentials\.issued/, 'the dump really holds the audit table');
    for (const s of secrets) {
      assert.ok(!logs.includes(s), 'a session secret reached a log line');
      assert.ok(!dump.includes(s), 'a session secret reached the database');
    }
    assert.ok(!dump.includes(fx.engineCredentials.secretAccessKey));
  });
});

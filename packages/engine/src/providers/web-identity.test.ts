// Web-identity providers: the engine as an OIDC issuer, served over a real port the local cloud fetches.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createTestEngine, type TestEngine } from '../testing.js';
import type { Actor } from '../types.js';
import { createProvidersFeature } from './index.js';
import { createOidcIssuer } from './oidc.js';
import { startCloudFixture, WORKLOAD_ACCOUNT, type CloudFixture } from './internal/cloud-fixture.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

describe('web-identity providers against the local cloud', () => {
  let fx: CloudFixture;
  let engine: TestEngine;
  let publicUrl: string;
  let base: string;
  let headers: { authorization: string };

  before(async () => {
    fx = await startCloudFixture();
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    engine = await createTestEngine({ clock: fx.clock, config: { publicUrl, aws: { region: 'us-east-1', endpoint: fx.endpoint, credentials: fx.engineCredentials } } });
    await engine.app.listen({ port, host: '127.0.0.1' });
    base = `/api/v1/orgs/${engine.seed!.org.id}/providers`;
    headers = engine.auth(engine.seed!.token);
  });
  after(async () => { await engine?.close(); await fx?.stop(); });

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    engine.app.inject({ method, url: `${base}${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  test('the discovery document and JWKS are public and hold no private key material', async () => {
    const disc = await fetch(`${publicUrl}/.well-known/openid-configuration`);
    assert.equal(disc.status, 200);
    const doc = (await disc.json()) as { issuer: string; jwks_uri: string };
    assert.equal(doc.issuer, publicUrl);
    assert.equal(doc.jwks_uri, `${publicUrl}/.well-known/jwks.json`);
    const jwks = (await (await fetch(doc.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]!.kty, 'RSA');
    assert.equal(jwks.keys[0]!.alg, 'RS256');
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.ok(!(priv in jwks.keys[0]!), `no "${priv}" in the JWKS`);

    // The private key is in the database only encrypted (with the secret kept in the data dir, 0600, for a lone engine).
    assert.equal(statSync(join(engine.dataDir, 'secret-key')).mode & 0o777, 0o600, 'the secret key file is readable by the engine only');
    const d = (JSON.parse((await engine.keyring.current('oidc')).privateKey) as { d: string }).d;
    const rows = [...await engine.db.selectFrom('oidc_keys').selectAll().execute(), ...await engine.db.selectFrom('signing_keys').selectAll().execute()];
    assert.ok(!JSON.stringify(rows).includes(d), 'the private key is not in the database in plain text');
    assert.ok(!engine.logs.join('\n').includes(d), 'the private key is not logged');
  });

  test('tokens are short-lived RS256 with ids in sub and the engine-specific audience', async () => {
    const issuer = createOidcIssuer({ db: engine.db, clock: engine.clock, config: engine.config, keyring: engine.keyring });
    const token = await issuer.sign('org:org_1:app:app_2:stage:prod', {}, 3600);
    const claims = decodeJwt(token);
    assert.equal(decodeProtectedHeader(token).alg, 'RS256');
    assert.equal(claims.iss, publicUrl);
    assert.equal(claims.aud, `hangar:127.0.0.1:${new URL(publicUrl).port}`);
    assert.equal(claims.sub, 'org:org_1:app:app_2:stage:prod');
    assert.ok(claims.exp! - claims.iat! <= 300, 'at most 5 minutes, whatever was asked');
  });

  test('verify passes for a role trusting the engine as OIDC issuer, and the broker issues sessions through it', async () => {
    const created = await call('POST', '', { name: 'oidc', mode: 'web-identity', accountId: WORKLOAD_ACCOUNT });
    assert.equal(created.statusCode, 201, created.body);
    const p = created.json();
    const h = `127.0.0.1:${new URL(publicUrl).port}`;
    assert.deepEqual(p.setup.oidc, { issuer: publicUrl, audience: `hangar:${h}`, subjectPattern: `org:${engine.seed!.org.id}:app:*`, providerArn: `arn:aws:iam::${WORKLOAD_ACCOUNT}:oidc-provider/${h}` });
    assert.deepEqual(p.setup.trustPolicy.Statement[0].Principal, { Federated: p.setup.oidc.providerArn });
    await fx.createOidcProvider(p.setup.oidc.issuer, [p.setup.oidc.audience]);
    const roleArn = await fx.createRole('hangar-oidc', p.setup.trustPolicy);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.status, 'verified', JSON.stringify(v, null, 2));
    assert.deepEqual(v.checks.map((c: { id: string }) => c.id), ['web-identity-assume', 'web-identity-refused-for-other-org', 'caller-identity-account']);

    const broker = createProvidersFeature({ db: engine.db, clock: engine.clock, logger: engine.logger, audit: engine.audit, config: engine.config, keyring: engine.keyring }).broker;
    const actor: Actor = { kind: 'token', id: 'tok_1', userId: 'usr_1', name: 'token:ci-deploy' };
    const session = await broker.open({
      deploymentId: 'dep_oidc', orgId: engine.seed!.org.id, appId: 'app_x', stage: 'prod', instanceId: 'ins_x', actor,
      provider: { id: p.id, name: 'oidc', mode: 'web-identity', roleArn, region: 'us-east-1', sessionDurationSeconds: 900, linkedAt: 'org' },
    });
    try {
      const creds = await session.current();
      assert.ok(creds.expiration);
      const [event] = await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' });
      assert.equal(event!.data.mode, 'web-identity');
      assert.equal(event!.data.sessionName, 'hangar-dep_oidc');
      assert.equal(event!.data.sourceIdentity, 'token_ci-deploy');
    } finally {
      session.close();
    }
  });

  test('a web-identity role that accepts any subject is refused at verify', async () => {
    const p = (await call('POST', '', { name: 'oidc-open', mode: 'web-identity', accountId: WORKLOAD_ACCOUNT })).json();
    const trust = structuredClone(p.setup.trustPolicy);
    delete trust.Statement[0].Condition.StringLike;
    const roleArn = await fx.createRole('hangar-oidc-open', trust);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.status, 'failed');
    assert.equal(v.code, 'PROVIDER_SUBJECT_NOT_ENFORCED');
    assert.ok(v.message.includes(`org:${engine.seed!.org.id}:app:*`), v.message);
  });
});

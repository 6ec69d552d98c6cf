// Verify against the real local cloud, through the engine's HTTP API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine, type TestEngine } from '../testing.js';
import { OTHER_ACCOUNT, startCloudFixture, WORKLOAD_ACCOUNT, type CloudFixture } from './internal/cloud-fixture.js';

describe('providers: create and verify against the local cloud', () => {
  let fx: CloudFixture;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };

  before(async () => {
    fx = await startCloudFixture();
    engine = await createTestEngine({ clock: fx.clock, config: { aws: { region: 'us-east-1', endpoint: fx.endpoint, credentials: fx.engineCredentials } } });
    base = `/api/v1/orgs/${engine.seed!.org.id}/providers`;
    headers = engine.auth(engine.seed!.token);
  });
  after(async () => { await engine?.close(); await fx?.stop(); });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    engine.app.inject({ method, url: `${base}${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

  test('create answers the setup: a generated external ID, the engine principal from STS, the trust policy and a template', async () => {
    const res = await call('POST', '', { name: 'setup-only' });
    assert.equal(res.statusCode, 201, res.body);
    const p = res.json();
    assert.match(p.id, /^prv_/);
    assert.equal(p.status, 'pending');
    assert.equal(p.region, 'us-east-1');
    assert.equal(p.sessionDurationSeconds, 900);
    assert.ok(p.externalId.length >= 32);
    assert.equal(p.setup.externalId, p.externalId);
    assert.equal(p.setup.enginePrincipal, fx.enginePrincipal);
    assert.deepEqual(p.setup.trustPolicy.Statement[0].Principal, { AWS: fx.enginePrincipal });
    assert.deepEqual(p.setup.trustPolicy.Statement[0].Condition, { StringEquals: { 'sts:ExternalId': p.externalId } });
    const template = JSON.parse(p.setup.cloudFormationTemplate);
    assert.deepEqual(template.Resources.HangarDeployerRole.Properties.AssumeRolePolicyDocument, p.setup.trustPolicy);
    assert.equal(p.setup.consoleUrl, null, 'no AWS console link for the local cloud');

    const again = await call('GET', `/${p.id}`);
    assert.equal(again.json().externalId, p.externalId, 'the external ID never changes');
    assert.equal((await call('GET', '/setup-only')).json().id, p.id, 'a provider can be named by its name too');
  });

  test('nobody chooses the external ID, and names are unique per org', async () => {
    const chosen = await call('POST', '', { name: 'chosen', externalId: 'my-own-external-id-that-is-long-enough' });
    assert.equal(chosen.statusCode, 400);
    assert.equal(chosen.json().code, 'VALIDATION_FAILED');
    assert.match(chosen.json().message, /externalId/);
    const created = (await call('POST', '', { name: 'fixed-id' })).json();
    const patched = await call('PATCH', `/${created.id}`, { externalId: 'hgr-ext-attacker-chosen-value-000000000' });
    assert.equal(patched.statusCode, 400);
    assert.equal((await call('GET', `/${created.id}`)).json().externalId, created.externalId);
    const dup = await call('POST', '', { name: 'fixed-id' });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().code, 'CONFLICT');
    const bad = await call('POST', '', { name: 'Bad Name', sessionDurationSeconds: 60 });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /body\.name: .*body\.sessionDurationSeconds: expected at least 900/s);
  });

  test('verify passes for a role created from the provider\'s own trust policy', async () => {
    const p = (await call('POST', '', { name: 'good' })).json();
    const roleArn = await fx.createRole('hangar-good', p.setup.trustPolicy);
    const res = await call('POST', `/${p.id}/verify`, { roleArn });
    assert.equal(res.statusCode, 200, res.body);
    const v = res.json();
    assert.equal(v.status, 'verified', JSON.stringify(v.checks, null, 2));
    assert.equal(v.code, undefined);
    assert.deepEqual(v.checks.map((c: { id: string }) => c.id), [
      'assume-with-external-id', 'refused-without-external-id', 'refused-with-wrong-external-id', 'session-tags-and-source-identity', 'caller-identity-account',
    ]);
    assert.ok(v.checks.every((c: { passed: boolean; fix: unknown }) => c.passed && c.fix === null));
    const got = (await call('GET', `/${p.id}`)).json();
    assert.equal(got.status, 'verified');
    assert.equal(got.roleArn, roleArn);
    assert.equal(got.accountId, WORKLOAD_ACCOUNT);
    assert.equal(got.lastVerification.status, 'verified');
    const events = await engine.audit.list(engine.seed!.org.id, { kind: 'provider.verified' });
    assert.equal(events[0]?.data.providerId, p.id);

    // A new role ARN proves nothing yet: back to pending until verified again.
    const moved = await call('PATCH', `/${p.id}`, { roleArn: `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/elsewhere` });
    assert.equal(moved.json().status, 'pending');
  });

  test('a role whose trust policy does not require the external ID is refused, with the Condition block to add', async () => {
    const p = (await call('POST', '', { name: 'open-role' })).json();
    const open = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: fx.enginePrincipal }, Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'] }] };
    const roleArn = await fx.createRole('hangar-open', open);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.status, 'failed');
    assert.equal(v.code, 'PROVIDER_EXTERNAL_ID_NOT_ENFORCED');
    const failedIds = v.checks.filter((c: { passed: boolean }) => !c.passed).map((c: { id: string }) => c.id);
    assert.deepEqual(failedIds, ['refused-without-external-id', 'refused-with-wrong-external-id']);
    assert.ok(v.message.includes(JSON.stringify({ Condition: { StringEquals: { 'sts:ExternalId': p.externalId } } })), v.message);
    assert.equal((await call('GET', `/${p.id}`)).json().status, 'failed');
    const events = await engine.audit.list(engine.seed!.org.id, { kind: 'provider.verification_failed' });
    assert.equal(events[0]?.data.code, 'PROVIDER_EXTERNAL_ID_NOT_ENFORCED');

    // Fixing the trust policy as told makes it pass.
    await fx.updateTrust('hangar-open', p.setup.trustPolicy);
    assert.equal((await call('POST', `/${p.id}/verify`, {})).json().status, 'verified');
  });

  test('a role that trusts the engine without tags and source identity fails with the actions to add', async () => {
    const p = (await call('POST', '', { name: 'no-tags' })).json();
    const trust = structuredClone(p.setup.trustPolicy);
    trust.Statement[0].Action = 'sts:AssumeRole';
    const roleArn = await fx.createRole('hangar-no-tags', trust);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.code, 'PROVIDER_ASSUME_FAILED');
    const bad = v.checks.find((c: { passed: boolean }) => !c.passed);
    assert.equal(bad.id, 'session-tags-and-source-identity');
    assert.match(bad.fix, /sts:TagSession/);
  });

  test('a role in another account than the provider\'s fails with PROVIDER_ACCOUNT_MISMATCH', async () => {
    const p = (await call('POST', '', { name: 'other-account', accountId: OTHER_ACCOUNT })).json();
    const roleArn = await fx.createRole('hangar-wrong-account', p.setup.trustPolicy, WORKLOAD_ACCOUNT);
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.status, 'failed');
    assert.equal(v.code, 'PROVIDER_ACCOUNT_MISMATCH');
    const check = v.checks.find((c: { id: string }) => c.id === 'caller-identity-account');
    assert.equal(check.passed, false);
    assert.match(check.detail, new RegExp(`Expected account ${OTHER_ACCOUNT}.*account ${WORKLOAD_ACCOUNT}`));
    // No dead end: the fix names a command that exists, and following it makes verify pass.
    assert.ok(check.fix.includes(`hangar providers update other-account --account-id ${WORKLOAD_ACCOUNT}`), check.fix);
    assert.equal((await call('PATCH', `/${p.id}`, { accountId: WORKLOAD_ACCOUNT })).json().status, 'pending');
    assert.equal((await call('POST', `/${p.id}/verify`, {})).json().status, 'verified');
  });

  test('a role that does not exist fails with PROVIDER_ASSUME_FAILED and the AWS code', async () => {
    const p = (await call('POST', '', { name: 'missing-role' })).json();
    const v = (await call('POST', `/${p.id}/verify`, { roleArn: `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/does-not-exist` })).json();
    assert.equal(v.code, 'PROVIDER_ASSUME_FAILED');
    assert.match(v.checks[0].detail, /AccessDenied/);
    const noRole = (await call('POST', '', { name: 'no-role-yet' })).json();
    const res = await call('POST', `/${noRole.id}/verify`, {});
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'PROVIDER_ROLE_NOT_SET');
  });

  test('a provider asking for longer sessions than the role allows fails at verify, not mid-deploy', async () => {
    const p = (await call('POST', '', { name: 'long-sessions', sessionDurationSeconds: 7200 })).json();
    const roleArn = await fx.createRole('hangar-short-max', p.setup.trustPolicy); // MaxSessionDuration 3600
    const v = (await call('POST', `/${p.id}/verify`, { roleArn })).json();
    assert.equal(v.code, 'PROVIDER_ASSUME_FAILED');
    assert.match(v.checks[0].detail, /ValidationError/);
    assert.match(v.checks[0].fix, /MaxSessionDuration/);
    await call('PATCH', `/${p.id}`, { sessionDurationSeconds: 3600 });
    assert.equal((await call('POST', `/${p.id}/verify`, {})).json().status, 'verified');
  });

  test('each change to what verify proved (role, account, region, duration) is audited with its old and new value and resets a verified provider to pending; linking it warns until it passes verify again', async () => {
    const p = (await call('POST', '', { name: 'edited' })).json();
    const roleArn = await fx.createRole('hangar-edited', p.setup.trustPolicy);
    assert.equal((await call('POST', `/${p.id}/verify`, { roleArn })).json().status, 'verified');
    const linked = await call('POST', `/${p.id}/links`, { scope: 'app', app: 'edited-app' });
    assert.equal(linked.statusCode, 201);
    assert.equal(linked.json().warning, undefined, 'a verified provider links without a warning');

    const unchanged = await call('PATCH', `/${p.id}`, { region: 'us-east-1', accountId: WORKLOAD_ACCOUNT });
    assert.equal(unchanged.json().status, 'verified', 'sending the current values changes nothing');
    const renamed = await call('PATCH', `/${p.id}`, { name: 'edited-renamed' });
    assert.equal(renamed.json().status, 'verified', 'a new name proves nothing less');

    for (const [field, value] of [['region', 'eu-west-1'], ['accountId', OTHER_ACCOUNT], ['sessionDurationSeconds', 1800]] as const) {
      assert.equal((await call('POST', `/${p.id}/verify`, { roleArn })).statusCode, 200);
      const before = (await call('GET', `/${p.id}`)).json();
      const res = await call('PATCH', `/${p.id}`, { [field]: value });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().status, 'pending', `changing ${field} resets the provider`);
      assert.equal(res.json()[field], value);
      const [event] = await engine.audit.list(engine.seed!.org.id, { kind: 'provider.updated', subject: `provider:${p.id}` });
      assert.deepEqual(event?.data.changed, [field]);
      assert.deepEqual((event?.data.changes as Record<string, unknown>)[field], { from: before[field], to: value });
      assert.equal(event?.data.status, 'pending');
    }
    const warned = await call('POST', `/${p.id}/links`, { scope: 'app', app: 'edited-app' });
    assert.equal(warned.statusCode, 200, 'already linked there');
    assert.match(warned.json().warning, /^Provider "edited-renamed" has not passed verify \(status pending\): deployments that use this link are refused \(PROVIDER_NOT_VERIFIED\) until `hangar providers verify edited-renamed` succeeds\.$/);
    const bad = await call('PATCH', `/${p.id}`, { accountId: '12', region: 'mars' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'VALIDATION_FAILED');
    assert.match(bad.json().message, /^body\.region: expected an AWS region like eu-west-1; body\.accountId: expected a 12-digit AWS account id$/);
  });

  test('verify leaves no session credential in any log line', async () => {
    const joined = engine.logs.join('\n');
    assert.doesNotMatch(joined, /ASIA[A-Z0-9]{12,}/, 'no session access key id in the logs');
    assert.ok(!joined.includes(fx.engineCredentials.secretAccessKey));
  });
});

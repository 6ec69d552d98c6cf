import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyIdTail, needsRefresh, oidcSubject, sessionName, sessionPolicy, sessionTags, sourceIdentity } from './session-params.js';
import { pickLink, scopeKey, type LinkRow } from './resolve.js';
import { failed, passed, summarise } from './verify-report.js';

test('session name is hangar-<deploymentId>, trimmed to 64 characters STS accepts', () => {
  assert.equal(sessionName('dep_abc123'), 'hangar-dep_abc123');
  const long = sessionName(`dep_${'x'.repeat(100)}`);
  assert.equal(long.length, 64);
  assert.ok(long.startsWith('hangar-dep_x'));
  assert.match(sessionName('dep with spaces/and:colons'), /^[\w+=,.@-]+$/);
});

test('source identity is the actor in STS characters', () => {
  assert.equal(sourceIdentity('user:alice@example.com'), 'user_alice@example.com');
  assert.equal(sourceIdentity('token:ci deploy'), 'token_ci_deploy');
  assert.equal(sourceIdentity('x'), 'x_');
  assert.equal(sourceIdentity(`user:${'a'.repeat(100)}`).length, 64);
});

test('session tags and OIDC subject use ids, not names', () => {
  assert.deepEqual(sessionTags({ orgId: 'org_1', appId: 'app_2', stage: 'prod' }), [
    { Key: 'hangar:org', Value: 'org_1' }, { Key: 'hangar:app', Value: 'app_2' }, { Key: 'hangar:stage', Value: 'prod' },
  ]);
  assert.equal(oidcSubject({ orgId: 'org_1', appId: 'app_2', stage: 'prod' }), 'org:org_1:app:app_2:stage:prod');
});

test('a session policy allows exactly the declared actions, widening to services only when too long', () => {
  assert.equal(sessionPolicy(undefined), undefined);
  assert.equal(sessionPolicy([]), undefined);
  const p = JSON.parse(sessionPolicy(['lambda:CreateFunction', 'iam:PassRole', 'lambda:CreateFunction'])!);
  assert.deepEqual(p.Statement, [{ Effect: 'Allow', Action: ['iam:PassRole', 'lambda:CreateFunction'], Resource: '*' }]);
  const many = Array.from({ length: 200 }, (_, i) => `lambda:Action${i}`).concat(['iam:PassRole']);
  const wide = sessionPolicy(many)!;
  assert.ok(wide.length <= 2048);
  assert.deepEqual(JSON.parse(wide).Statement[0].Action, ['iam:*', 'lambda:*']);
});

test('credentials are refreshed when less than 5 minutes remain', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const at = (s: number) => new Date(now.getTime() + s * 1000);
  assert.equal(needsRefresh(at(900), now), false);
  assert.equal(needsRefresh(at(301), now), false);
  assert.equal(needsRefresh(at(299), now), true);
  assert.equal(needsRefresh(at(-1), now), true);
  assert.equal(needsRefresh(undefined, now), false);
  assert.equal(keyIdTail('ASIAABCDEFGHIJKL1234'), '1234');
});

const link = (id: string, scope: LinkRow['scope'], f: Partial<LinkRow> = {}): LinkRow =>
  ({ id, provider_id: `prv_${id}`, scope, app_id: null, stage: null, instance_id: null, ...f });

test('the most specific link wins: instance, then app+stage, then app, then org', () => {
  const target = { appId: 'app_1', stage: 'prod', instanceId: 'ins_1' };
  const all = [
    link('org', 'org'),
    link('app', 'app', { app_id: 'app_1' }),
    link('stage', 'app-stage', { app_id: 'app_1', stage: 'prod' }),
    link('ins', 'instance', { instance_id: 'ins_1' }),
    link('otherapp', 'app', { app_id: 'app_2' }),
    link('otherstage', 'app-stage', { app_id: 'app_1', stage: 'dev' }),
    link('otherins', 'instance', { instance_id: 'ins_2' }),
  ];
  assert.equal(pickLink(all, target)?.id, 'ins');
  assert.equal(pickLink(all.filter((l) => l.id !== 'ins'), target)?.id, 'stage');
  assert.equal(pickLink(all.filter((l) => !['ins', 'stage'].includes(l.id)), target)?.id, 'app');
  assert.equal(pickLink(all.filter((l) => !['ins', 'stage', 'app'].includes(l.id)), target)?.id, 'org');
  assert.equal(pickLink(all.filter((l) => l.id.startsWith('other')), target), undefined);
  assert.equal(scopeKey({ scope: 'app-stage', appId: 'app_1', stage: 'prod' }), 'app-stage:app_1:prod');
});

test('verify names the most serious failure and says how to fix each', () => {
  const ctx = { roleArn: 'arn:aws:iam::222222222222:role/r', providerName: 'prod', at: '2026-01-01T00:00:00.000Z' };
  const ok = summarise([passed('assume-with-external-id', 'a', 'ok')], ctx);
  assert.equal(ok.status, 'verified');
  assert.equal(ok.code, undefined);
  const bad = summarise([
    passed('assume-with-external-id', 'AssumeRole with the external ID succeeds', 'ok'),
    failed('refused-without-external-id', 'AssumeRole without an external ID is refused', 'AWS let the engine assume the role', 'Add this Condition block: {"StringEquals":{"sts:ExternalId":"hgr-ext-1"}}'),
    failed('caller-identity-account', 'The session lands in the expected account', 'other account', 'use another role'),
  ], ctx);
  assert.equal(bad.status, 'failed');
  assert.equal(bad.code, 'PROVIDER_EXTERNAL_ID_NOT_ENFORCED');
  assert.match(bad.message!, /"sts:ExternalId":"hgr-ext-1"/);
  assert.match(bad.message!, /hangar providers verify prod/);
  assert.equal(summarise([failed('caller-identity-account', 't', 'd', 'f')], ctx).code, 'PROVIDER_ACCOUNT_MISMATCH');
  // A probe that failed for another reason than being accepted does not claim the role is open.
  const inconclusive = summarise([failed('refused-without-external-id', 't', 'Inconclusive: ThrottlingException', 'f', 'PROVIDER_ASSUME_FAILED')], ctx);
  assert.equal(inconclusive.code, 'PROVIDER_ASSUME_FAILED');
});

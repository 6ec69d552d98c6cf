import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCloudFormationTemplate, buildConsoleUrl, buildTrustPolicy, oidcFacts, principalFromCallerArn, roleArnAccount } from './setup.js';
import { generateExternalId } from './session-params.js';

test('the assume-role trust policy trusts only the engine principal, and only with the external ID', () => {
  const ext = generateExternalId();
  const p = buildTrustPolicy({ mode: 'assume-role', enginePrincipal: 'arn:aws:iam::111111111111:user/hangar-engine', externalId: ext });
  assert.equal(p.Statement.length, 1);
  const st = p.Statement[0]!;
  assert.deepEqual(st.Principal, { AWS: 'arn:aws:iam::111111111111:user/hangar-engine' });
  assert.deepEqual(st.Action, ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity']);
  assert.deepEqual(st.Condition, { StringEquals: { 'sts:ExternalId': ext } });
});

test('external IDs are random, long and in the characters STS accepts', () => {
  const a = generateExternalId();
  const b = generateExternalId();
  assert.notEqual(a, b);
  assert.ok(a.length >= 32, a);
  assert.match(a, /^[\w+=,.@:/-]+$/);
});

test('the web-identity trust policy names the OIDC provider of the role account and pins aud and the org in sub', () => {
  const oidc = oidcFacts('http://127.0.0.1:7300/');
  assert.equal(oidc.issuer, 'http://127.0.0.1:7300');
  assert.equal(oidc.issuerHost, '127.0.0.1:7300');
  const p = buildTrustPolicy({ mode: 'web-identity', oidc, orgId: 'org_a', accountId: '222222222222' });
  const st = p.Statement[0]!;
  assert.deepEqual(st.Principal, { Federated: 'arn:aws:iam::222222222222:oidc-provider/127.0.0.1:7300' });
  assert.ok((st.Action as string[]).includes('sts:AssumeRoleWithWebIdentity'));
  assert.deepEqual(st.Condition, {
    StringEquals: { '127.0.0.1:7300:aud': 'hangar:127.0.0.1:7300' },
    StringLike: { '127.0.0.1:7300:sub': 'org:org_a:app:*' },
  });
});

test('the CloudFormation template creates the role with that exact trust policy and a managed-policy parameter', () => {
  const trust = buildTrustPolicy({ mode: 'assume-role', enginePrincipal: 'arn:aws:iam::111111111111:user/e', externalId: 'hgr-ext-x'.padEnd(40, 'y') });
  const t = JSON.parse(buildCloudFormationTemplate({ providerName: 'prod', trustPolicy: trust, sessionDurationSeconds: 900 }));
  const role = t.Resources.HangarDeployerRole;
  assert.equal(role.Type, 'AWS::IAM::Role');
  assert.deepEqual(role.Properties.AssumeRolePolicyDocument, trust);
  assert.deepEqual(role.Properties.ManagedPolicyArns, [{ Ref: 'PermissionsPolicyArn' }]);
  assert.equal(t.Parameters.RoleName.Default, 'hangar-prod');
  assert.equal(role.Properties.MaxSessionDuration, 3600);
  assert.ok(!('ExternalId' in t.Parameters), 'the external ID is not a parameter anyone can change');
  const long = JSON.parse(buildCloudFormationTemplate({ providerName: 'p', trustPolicy: trust, sessionDurationSeconds: 7200 }));
  assert.equal(long.Resources.HangarDeployerRole.Properties.MaxSessionDuration, 7200);
});

test('the web-identity template creates the OIDC provider and trusts it in the stack account', () => {
  const oidc = oidcFacts('https://hangar.example.com');
  const trust = buildTrustPolicy({ mode: 'web-identity', oidc, orgId: 'org_a', accountId: '<ACCOUNT_ID>' });
  const t = JSON.parse(buildCloudFormationTemplate({ providerName: 'p', trustPolicy: trust, sessionDurationSeconds: 900, oidc }));
  assert.deepEqual(t.Resources.HangarOidcProvider.Properties, { Url: 'https://hangar.example.com', ClientIdList: ['hangar:hangar.example.com'] });
  const fed = t.Resources.HangarDeployerRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Federated;
  assert.deepEqual(fed, { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/hangar.example.com' });
});

test('the console link is for real AWS only', () => {
  assert.equal(buildConsoleUrl({ region: 'eu-west-1', providerName: 'prod', endpoint: 'http://127.0.0.1:4566' }), undefined);
  const url = buildConsoleUrl({ region: 'eu-west-1', providerName: 'prod', endpoint: undefined })!;
  assert.match(url, /^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudformation\/home\?region=eu-west-1#\/stacks\/create\/template\?stackName=hangar-prod$/);
});

test('role ARNs give their account; assumed-role callers become their role as a principal', () => {
  assert.equal(roleArnAccount('arn:aws:iam::222222222222:role/team/deployer'), '222222222222');
  assert.equal(roleArnAccount('arn:aws:iam::2222:role/x'), undefined);
  assert.equal(roleArnAccount('arn:aws:iam::222222222222:user/x'), undefined);
  assert.equal(principalFromCallerArn('arn:aws:sts::111111111111:assumed-role/engine/i-123'), 'arn:aws:iam::111111111111:role/engine');
  assert.equal(principalFromCallerArn('arn:aws:iam::111111111111:user/hangar-engine'), 'arn:aws:iam::111111111111:user/hangar-engine');
});

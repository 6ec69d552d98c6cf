import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateCondition } from './conditions.js';
import { parsePolicy, PolicyError, type PolicyDocument } from './document.js';
import { evaluateIdentity, evaluatePolicies, evaluateTrust, type RequestContext } from './evaluate.js';
import { arnMatches, actionMatches } from './match.js';

const policy = (...Statement: unknown[]): PolicyDocument => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement }), 'identity');
const trust = (...Statement: unknown[]): PolicyDocument => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement }), 'trust');
const req = (action: string, resource = '*', context: Record<string, string[]> = {}): RequestContext => ({ action, resource, context });

describe('wildcards', () => {
  it('matches actions case-insensitively with * and ?', () => {
    assert.equal(actionMatches('iam:Get*', 'iam:getrole'), true);
    assert.equal(actionMatches('iam:?etRole', 'iam:GetRole'), true);
    assert.equal(actionMatches('iam:?etRole', 'iam:XGetRole'), false);
    assert.equal(actionMatches('s3:*', 'iam:GetRole'), false);
  });
  it('matches ARNs part by part, so * does not cross a colon outside the resource', () => {
    assert.equal(arnMatches('arn:aws:iam::*:role/*', 'arn:aws:iam::111111111111:role/x'), true);
    assert.equal(arnMatches('arn:aws:iam::*:role/*', 'arn:aws:iam::111111111111:user/x'), false);
    assert.equal(arnMatches('arn:aws:*:us-*:1:fn', 'arn:aws:lambda:eu-west-1:1:fn'), false);
    assert.equal(arnMatches('arn:aws:lambda:*:*:function:app-*', 'arn:aws:lambda:us-east-1:1:function:app-x'), true);
    assert.equal(arnMatches('arn:aws:iam::111111111111:role/R?', 'arn:aws:iam::111111111111:role/r1'), false);
  });
});

describe('evaluatePolicies', () => {
  it('denies by default', () => {
    assert.equal(evaluatePolicies([], req('iam:GetRole')), 'implicit-deny');
    assert.equal(evaluatePolicies([policy({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], req('iam:GetRole')), 'implicit-deny');
  });
  it('lets an explicit deny win over any allow, in any policy', () => {
    const allow = policy({ Effect: 'Allow', Action: '*', Resource: '*' });
    const deny = policy({ Effect: 'Deny', Action: 'iam:Delete*', Resource: 'arn:aws:iam::1:role/*' });
    assert.equal(evaluatePolicies([allow, deny], req('iam:DeleteRole', 'arn:aws:iam::1:role/x')), 'deny');
    assert.equal(evaluatePolicies([allow, deny], req('iam:GetRole', 'arn:aws:iam::1:role/x')), 'allow');
  });
  it('honours NotAction and NotResource', () => {
    const p = policy({ Effect: 'Allow', NotAction: 'iam:*', NotResource: 'arn:aws:s3:::secret' });
    assert.equal(evaluatePolicies([p], req('s3:GetObject', 'arn:aws:s3:::public')), 'allow');
    assert.equal(evaluatePolicies([p], req('s3:GetObject', 'arn:aws:s3:::secret')), 'implicit-deny');
    assert.equal(evaluatePolicies([p], req('iam:GetRole', 'arn:aws:s3:::public')), 'implicit-deny');
  });
  it('substitutes policy variables in resources', () => {
    const p = policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::1:user/${aws:username}' });
    assert.equal(evaluatePolicies([p], req('iam:GetUser', 'arn:aws:iam::1:user/ann', { 'aws:username': ['ann'] })), 'allow');
    assert.equal(evaluatePolicies([p], req('iam:GetUser', 'arn:aws:iam::1:user/bob', { 'aws:username': ['ann'] })), 'implicit-deny');
  });
});

describe('conditions', () => {
  const ctx = { 'aws:principaltag/team': ['blue'], 'aws:tagkeys': ['a', 'b'], 'aws:securetransport': ['false'], 'aws:principalarn': ['arn:aws:iam::1:role/app-x'] };
  const cond = (op: string, key: string, values: string[]): boolean => evaluateCondition(op, key, values, ctx, true);

  it('StringEquals and StringLike, keys case-insensitive', () => {
    assert.equal(cond('StringEquals', 'aws:PrincipalTag/team', ['blue']), true);
    assert.equal(cond('StringEquals', 'aws:PrincipalTag/team', ['Blue']), false);
    assert.equal(cond('StringEqualsIgnoreCase', 'aws:PrincipalTag/team', ['Blue']), true);
    assert.equal(cond('StringLike', 'aws:PrincipalTag/team', ['b*']), true);
    assert.equal(cond('StringNotEquals', 'aws:PrincipalTag/team', ['blue']), false);
  });
  it('a missing key fails positive operators, passes negated ones and IfExists', () => {
    assert.equal(cond('StringEquals', 'sts:ExternalId', ['x']), false);
    assert.equal(cond('StringNotEquals', 'sts:ExternalId', ['x']), true);
    assert.equal(cond('StringEqualsIfExists', 'sts:ExternalId', ['x']), true);
    assert.equal(cond('StringEqualsIfExists', 'aws:PrincipalTag/team', ['red']), false);
    assert.equal(cond('Null', 'sts:ExternalId', ['true']), true);
    assert.equal(cond('Null', 'aws:PrincipalTag/team', ['true']), false);
  });
  it('ArnLike and Bool', () => {
    assert.equal(cond('ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/app-*']), true);
    assert.equal(cond('ArnLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/db-*']), false);
    assert.equal(cond('ArnNotLike', 'aws:PrincipalArn', ['arn:aws:iam::*:role/db-*']), true);
    assert.equal(cond('Bool', 'aws:SecureTransport', ['false']), true);
    assert.equal(cond('Bool', 'aws:SecureTransport', ['true']), false);
  });
  it('multi-valued keys: any value matches by default; ForAllValues needs every value', () => {
    assert.equal(cond('StringEquals', 'aws:TagKeys', ['a']), true);
    assert.equal(cond('ForAnyValue:StringEquals', 'aws:TagKeys', ['b', 'z']), true);
    assert.equal(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['a']), false);
    assert.equal(cond('ForAllValues:StringEquals', 'aws:TagKeys', ['a', 'b', 'c']), true);
  });
  it('unknown operators never match', () => {
    assert.equal(cond('StringSortOf', 'aws:PrincipalTag/team', ['blue']), false);
  });
  it('all keys of a block must hold (AND) while values of one key are alternatives (OR)', () => {
    const p = policy({
      Effect: 'Allow', Action: '*', Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalTag/team': ['red', 'blue'] }, Bool: { 'aws:SecureTransport': 'true' } },
    });
    assert.equal(evaluatePolicies([p], req('x:Y', '*', ctx)), 'implicit-deny');
    assert.equal(evaluatePolicies([p], req('x:Y', '*', { ...ctx, 'aws:securetransport': ['true'] })), 'allow');
  });
});

describe('evaluateIdentity (identity ∩ session)', () => {
  const admin = policy({ Effect: 'Allow', Action: '*', Resource: '*' });
  const readOnly = policy({ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' });
  it('without session policies the identity decides', () => {
    assert.deepEqual(evaluateIdentity([admin], undefined, req('iam:CreateRole')), { allowed: true });
  });
  it('a session policy narrows what the identity allows', () => {
    assert.deepEqual(evaluateIdentity([admin], [readOnly], req('iam:GetRole')), { allowed: true });
    assert.deepEqual(evaluateIdentity([admin], [readOnly], req('iam:CreateRole')), { allowed: false, reason: 'no-session-allow' });
  });
  it('a session policy never widens the identity', () => {
    assert.deepEqual(evaluateIdentity([readOnly], [admin], req('iam:CreateRole')), { allowed: false, reason: 'no-identity-allow' });
  });
  it('an explicit deny in either wins', () => {
    const deny = policy({ Effect: 'Deny', Action: 'iam:GetRole', Resource: '*' });
    assert.deepEqual(evaluateIdentity([admin, deny], [admin], req('iam:GetRole')), { allowed: false, reason: 'explicit-identity' });
    assert.deepEqual(evaluateIdentity([admin], [admin, deny], req('iam:GetRole')), { allowed: false, reason: 'explicit-session' });
  });
});

describe('evaluateTrust', () => {
  const caller = { arns: ['arn:aws:iam::222222222222:user/ci'], accountId: '222222222222' };
  it('naming the account allows any of its principals, flagged so identity policies are checked too', () => {
    const t = trust({ Effect: 'Allow', Principal: { AWS: '222222222222' }, Action: 'sts:AssumeRole' });
    assert.deepEqual(evaluateTrust(t, 'sts:AssumeRole', caller, {}), { decision: 'allow', viaAccount: true });
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', { arns: ['arn:aws:iam::333333333333:root'], accountId: '333333333333' }, {}).decision, 'implicit-deny');
  });
  it('naming the principal directly is not via the account', () => {
    const t = trust({ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::222222222222:user/ci'] }, Action: 'sts:AssumeRole' });
    assert.deepEqual(evaluateTrust(t, 'sts:AssumeRole', caller, {}), { decision: 'allow', viaAccount: false });
  });
  it('checks the external id condition', () => {
    const t = trust({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::222222222222:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'abc' } } });
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', caller, { 'sts:externalid': ['abc'] }).decision, 'allow');
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', caller, { 'sts:externalid': ['abd'] }).decision, 'implicit-deny');
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', caller, {}).decision, 'implicit-deny');
  });
  it('service and federated principals, and actions other than AssumeRole', () => {
    const t = trust(
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::1:oidc-provider/idp' }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringLike: { 'idp:sub': 'org:1:*' } } },
    );
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', { service: 'lambda.amazonaws.com' }, {}).decision, 'allow');
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', { service: 'ec2.amazonaws.com' }, {}).decision, 'implicit-deny');
    assert.equal(evaluateTrust(t, 'sts:TagSession', { service: 'lambda.amazonaws.com' }, {}).decision, 'implicit-deny');
    assert.equal(evaluateTrust(t, 'sts:AssumeRoleWithWebIdentity', { federated: 'arn:aws:iam::1:oidc-provider/idp' }, { 'idp:sub': ['org:1:app:2'] }).decision, 'allow');
    assert.equal(evaluateTrust(t, 'sts:AssumeRoleWithWebIdentity', { federated: 'arn:aws:iam::1:oidc-provider/idp' }, { 'idp:sub': ['org:2:app:2'] }).decision, 'implicit-deny');
  });
  it('an explicit Deny in the trust policy wins', () => {
    const t = trust(
      { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' },
      { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::222222222222:user/ci' }, Action: 'sts:*' },
    );
    assert.equal(evaluateTrust(t, 'sts:AssumeRole', caller, {}).decision, 'deny');
  });
});

describe('parsePolicy', () => {
  const bad = (doc: unknown, kind: 'identity' | 'trust' = 'identity'): void => {
    assert.throws(() => parsePolicy(typeof doc === 'string' ? doc : JSON.stringify(doc), kind), PolicyError);
  };
  it('rejects what IAM rejects as MalformedPolicyDocument', () => {
    bad('{not json');
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: '*', Resource: '*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' }] });
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*', Principal: '*' }] }, 'trust');
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }, 'trust');
    bad({ Version: '2020-01-01', Statement: [] });
  });
  it('normalises single values to lists', () => {
    const p = parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'a:b', Resource: 'r', Condition: { Bool: { 'aws:SecureTransport': true } } } }), 'identity');
    assert.deepEqual(p.statements[0]?.action, ['a:b']);
    assert.deepEqual(p.statements[0]?.condition, { Bool: { 'aws:SecureTransport': ['true'] } });
  });
});

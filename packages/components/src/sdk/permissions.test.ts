import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinComponents } from '../index.js';
import { compactPolicyJson, maxSessionPolicyChars, permissionStatements, sessionPolicyDocument } from './permissions.js';

// The longest names an instance can have: every name is trimmed to 64 characters, so this is the largest policy.
const longest = { orgId: 'org_x', appId: 'app_x', app: 'a'.repeat(64), stage: 's'.repeat(64), name: 'n'.repeat(64), instanceId: 'ins_x' };

test('every built-in component declares statements naming its own app and stage, within the 2048 characters STS accepts', () => {
  for (const c of builtinComponents()) {
    assert.equal(typeof c.permissions, 'function', `${c.name} declares statements, not bare actions`);
    const doc = sessionPolicyDocument(permissionStatements(c.permissions, longest));
    assert.ok(doc, c.name);
    const text = compactPolicyJson(doc);
    assert.ok(text.length <= maxSessionPolicyChars, `${c.name}: ${text.length} characters`);
    assert.ok(/^[\u0020-\u00ff]*$/.test(text), `${c.name}: only characters STS accepts`);
    const short = compactPolicyJson(sessionPolicyDocument(permissionStatements(c.permissions, { ...longest, app: 'shop', stage: 'dev', name: 'api' }))!);
    assert.match(short, /hangar-shop-dev-api-[0-9a-f]{8}/, `${c.name} names its resources by app, stage and instance`);
    for (const s of doc.Statement) assert.ok(s.Action.every((a) => !a.endsWith(':*')), `${c.name}: no whole-service wildcard`);
  }
});

test('statements merge: same resources join their actions, same actions join their resources; bare actions are on *', () => {
  const doc = sessionPolicyDocument([
    { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
    { actions: ['s3:PutObject', 's3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
    { actions: ['logs:A'], resources: ['x'] },
    { actions: ['logs:A'], resources: ['y'] },
    { actions: [], resources: ['z'] },
  ]);
  assert.deepEqual(doc, {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['logs:A'], Resource: ['x', 'y'] },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::b/*'] },
    ],
  });
  assert.deepEqual(permissionStatements(['lambda:GetFunction'], longest), [{ actions: ['lambda:GetFunction'], resources: ['*'] }]);
  assert.equal(sessionPolicyDocument(permissionStatements([], longest)), undefined);
});

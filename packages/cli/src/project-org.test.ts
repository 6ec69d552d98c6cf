import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHangarError } from '@hangar/core';
import { chooseProjectOrg, type WhoAmI } from './session.js';
import { isServerlessFrameworkFile } from './project-file.js';

const who = {
  user: { id: 'usr_1', name: 'Dev', email: 'dev@example.com' },
  orgs: [{ id: 'org_a', name: 'acme', role: 'owner' }, { id: 'org_b', name: 'beta', role: 'deployer' }],
} as unknown as WhoAmI;

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isHangarError(e) ? `${e.code}: ${e.message}` : String(e);
  }
  return 'no error';
};

test('org: selects one of the token\'s orgs by id or name, even when it has several', () => {
  assert.equal(chooseProjectOrg(who, 'beta', undefined), 'org_b');
  assert.equal(chooseProjectOrg(who, 'org_a', undefined), 'org_a');
  assert.equal(chooseProjectOrg(who, 'acme', 'org_a'), 'org_a', 'HANGAR_ORG naming the same org by id');
});

test('org: that the token does not have, or that differs from HANGAR_ORG, is refused with PROJECT_ORG_UNKNOWN', () => {
  assert.match(code(() => chooseProjectOrg(who, 'gamma', undefined)), /^PROJECT_ORG_UNKNOWN: The project file sets org: gamma, but dev@example\.com belongs to no organisation with that id or name \(yours: acme, beta\)/);
  assert.match(code(() => chooseProjectOrg(who, 'acme', 'beta')), /^PROJECT_ORG_UNKNOWN: HANGAR_ORG=beta and the project file's org: acme name different organisations/);
});

test('a Serverless Framework v3 file is told apart from a Hangar serverless.yml', () => {
  assert.equal(isServerlessFrameworkFile('service: shop\nprovider:\n  name: aws\nfunctions:\n  api:\n    handler: h.main\n'), true);
  assert.equal(isServerlessFrameworkFile('service: shop\r\nprovider:\r\n  name: aws\r\nfunctions: {}\r\n'), true);
  assert.equal(isServerlessFrameworkFile('component: http-function\nname: api\ninputs:\n  src: ./src\n'), false);
  assert.equal(isServerlessFrameworkFile('component: http-function\nname: api\ninputs:\n  service: x\n  provider: y\n  functions: z\n'), false, 'nested keys are not top-level');
  assert.equal(isServerlessFrameworkFile('service: shop\nprovider:\n  name: aws\n'), false);
});

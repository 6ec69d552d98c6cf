import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import { createHttpFunction } from '../http-function/component.js';
import { validateInputs } from './validate.js';

const component = createHttpFunction();

function failure(raw: unknown): string {
  try {
    validateInputs(component, raw);
  } catch (e) {
    assert.ok(e instanceof HangarError);
    assert.equal(e.code, 'COMPONENT_INPUTS_INVALID');
    assert.equal(e.status, 400);
    return e.message;
  }
  assert.fail('inputs were accepted');
}

test('defaults fill what is left out, and the result is frozen', () => {
  const v = validateInputs(component, { src: './app' });
  assert.deepEqual({ ...v }, { src: './app', handler: 'index.handler', memory: 1024, timeout: 6, env: {}, logRetentionDays: 30 });
  assert.ok(Object.isFrozen(v) && Object.isFrozen(v.env));
  assert.deepEqual(validateInputs(component, undefined).memory, 1024);
});

test('numbers given as strings of digits (from ${env:X}) are accepted; values of env become strings', () => {
  const v = validateInputs(component, { memory: '512', timeout: '30', env: { DEBUG: true, PORT: 8080 }, src: { src: '.', hook: 'npm run build', dist: 'dist' } });
  assert.equal(v.memory, 512);
  assert.equal(v.timeout, 30);
  assert.deepEqual(v.env, { DEBUG: 'true', PORT: '8080' });
});

test('each problem is named by its dotted path, with what was expected and what was given', () => {
  assert.match(failure({ memory: 'big' }), /inputs\.memory: expected a whole number from 128 to 10240 \(MB\), got "big"/);
  assert.match(failure({ memory: 64 }), /inputs\.memory: expected a whole number from 128 to 10240 \(MB\), got 64/);
  assert.match(failure({ timeout: 901 }), /inputs\.timeout: expected a whole number from 1 to 900 \(seconds\), got 901/);
  assert.match(failure({ handler: 'index' }), /inputs\.handler: expected <file>\.<export>, e\.g\. index\.handler, got "index"/);
  for (const handler of ['../../../../etc/passwd.handler', '/etc/passwd.handler', 'lib/../../x.handler']) {
    assert.match(failure({ handler }), /inputs\.handler: expected a file inside src: no "\.\." path segment and no leading "\/"/, handler);
  }
  assert.equal(validateInputs(component, { handler: 'lib/app.handler' }).handler, 'lib/app.handler');
  assert.match(failure({ src: 3 }), /inputs\.src: expected a folder path, or \{ src, hook, dist \}/);
  assert.match(failure({ src: { src: '.', dist: 5 } }), /inputs\.src/);
  const env = failure({ env: { 'my-var': 'x', AWS_REGION: 'eu-west-1', OK: ['a'] } });
  assert.match(env, /inputs\.env\.my-var: the name must be letters, digits and _/);
  assert.match(env, /inputs\.env\.AWS_REGION: the name is reserved by Lambda/);
  assert.match(env, /inputs\.env\.OK: expected a string/);
  assert.match(failure({ env: { BIG: 'x'.repeat(5000) } }), /inputs\.env: expected at most 4096 bytes/);
});

test('an unknown input is named, with the inputs that exist', () => {
  assert.match(failure({ memmory: 512 }), /inputs\.memmory: http-function has no input "memmory"; it accepts src, handler, memory, timeout, env/);
});

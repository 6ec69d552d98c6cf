import { test } from 'node:test';
import assert from 'node:assert/strict';
import { httpFunctionNames } from './names.js';

const instance = { app: 'shop', stage: 'dev', name: 'api', instanceId: 'inst_01' };

test('names are readable, deterministic and unique per instance', () => {
  const a = httpFunctionNames(instance);
  assert.match(a.functionName, /^hangar-shop-dev-api-[0-9a-f]{8}$/);
  assert.deepEqual(httpFunctionNames(instance), a);
  assert.notEqual(httpFunctionNames({ ...instance, instanceId: 'inst_02' }).functionName, a.functionName);
});

test('long or odd names fit the 64-character limits and the allowed characters', () => {
  const n = httpFunctionNames({ app: 'a'.repeat(50), stage: 'feature/login.v2', name: 'the api!', instanceId: 'x' });
  for (const name of [n.functionName, n.roleName]) {
    assert.ok(name.length <= 64, name);
    assert.match(name, /^[A-Za-z0-9_-]+$/);
  }
  const m = httpFunctionNames({ app: 'app', stage: 'feature/login.v2', name: 'the api!', instanceId: 'x' });
  assert.match(m.functionName, /^hangar-app-feature-login-v2-the-api-[0-9a-f]{8}$/);
});

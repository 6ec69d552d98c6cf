import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HangarError } from '@hangar/core';
import { replaceRequested } from './deploy.js';

test('--replace names this instance by name or by component; anything else is refused, naming both', () => {
  const project = { name: 'orders', component: 'table' };
  assert.equal(replaceRequested(project, undefined), false);
  assert.equal(replaceRequested(project, 'orders'), true);
  assert.equal(replaceRequested(project, 'table'), true);
  assert.throws(() => replaceRequested(project, 'ordres'), (e: HangarError) =>
    e.code === 'VALIDATION_FAILED' && e.message.includes('"orders"') && e.message.includes('component table') && e.message.includes('hangar deploy --replace orders'));
});

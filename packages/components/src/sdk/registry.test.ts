import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import { getComponent, listComponents } from '../index.js';
import { componentNotFound, createComponentRegistry, nearestName } from './registry.js';

test('the built-in components can be found by name and listed', () => {
  assert.equal(getComponent('http-function')?.name, 'http-function');
  assert.equal(getComponent('nope'), undefined);
  assert.deepEqual(listComponents().map((c) => c.name), ['http-function', 'function', 'table', 'website', 'express']);
  assert.equal(getComponent('table')?.name, 'table');
});

test('a registry refuses an unknown name with the list of known ones', () => {
  const registry = createComponentRegistry(listComponents());
  assert.throws(() => registry.require('http-fn'), (e: HangarError) => e.code === 'COMPONENT_NOT_FOUND' && /Available: http-function, function, table/.test(e.message));
  assert.equal(registry.require('http-function').name, 'http-function');
});

test('COMPONENT_NOT_FOUND suggests the nearest name for a typo, and only then', () => {
  const registry = createComponentRegistry(listComponents());
  assert.throws(() => registry.require('http-functon'), (e: HangarError) => e.code === 'COMPONENT_NOT_FOUND'
    && e.message === 'There is no component "http-functon". Did you mean "http-function"? Available: http-function, function, table, website, express.'
    && e.details?.['suggestion'] === 'http-function');
  assert.equal(nearestName('HTTP-Function', ['http-function']), 'http-function');
  assert.equal(nearestName('website', ['http-function', 'table']), undefined);
  assert.equal(nearestName('tabel', ['http-function', 'table']), 'table');
  assert.equal(componentNotFound('website', ['http-function']).message, 'There is no component "website". Available: http-function.');
  assert.equal(componentNotFound('x', []).message, 'There is no component "x".');
});

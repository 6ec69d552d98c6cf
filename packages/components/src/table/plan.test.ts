import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import { planTable } from './plan.js';
import type { KnownTable, TableSpec } from './state.js';

const spec: TableSpec = {
  name: 'hangar-shop-dev-orders-12345678', partitionKey: { name: 'pk', type: 'S' }, indexes: [], billing: 'PAY_PER_REQUEST',
  deletionProtection: false, tags: { 'hangar:app': 'shop' },
};
const known = (over: Partial<KnownTable> = {}): KnownTable => ({ ...structuredClone(spec), arn: 'arn:aws:dynamodb:us-east-1:111111111111:table/x', ...over });
const ops = (desired: TableSpec | null, current?: KnownTable, replace = false) => planTable(desired, current, { replace }).operations.map((o) => o.op);

test('a new table: CreateTable, then time to live when asked', () => {
  assert.deepEqual(ops(spec), ['createTable']);
  assert.deepEqual(ops({ ...spec, ttlAttribute: 'expires' }), ['createTable', 'enableTtl']);
});

test('the same table plans nothing', () => {
  assert.deepEqual(ops(spec, known()), []);
});

test('in place: indexes one at a time (changed ones deleted first), TTL, tags, protection off first and on last', () => {
  const gsi = { name: 'byStatus', partitionKey: { name: 'status', type: 'S' as const }, projection: 'ALL' as const };
  assert.deepEqual(ops({ ...spec, indexes: [gsi] }, known()), ['createIndex']);
  assert.deepEqual(ops(spec, known({ indexes: [gsi] })), ['deleteIndex']);
  assert.deepEqual(ops({ ...spec, indexes: [{ ...gsi, projection: 'KEYS_ONLY' }] }, known({ indexes: [gsi] })), ['deleteIndex', 'createIndex']);
  assert.throws(() => planTable({ ...spec, ttlAttribute: 'b' }, known({ ttlAttribute: 'a' })), (e: HangarError) =>
    e.code === 'COMPONENT_TTL_ATTRIBUTE_CHANGE' && e.message.includes('attribute a') && e.message.includes('asks for b'));
  assert.deepEqual(ops(spec, known({ ttlAttribute: 'a' })), ['disableTtl']);
  const tagged = planTable({ ...spec, tags: { 'hangar:app': 'shop', team: 'x' } }, known({ tags: { 'hangar:app': 'shop', old: '1' } })).operations;
  assert.deepEqual(tagged, [{ op: 'tag', name: spec.name, tags: { team: 'x' } }, { op: 'untag', name: spec.name, keys: ['old'] }]);
  assert.deepEqual(ops({ ...spec, deletionProtection: true, ttlAttribute: 't' }, known()), ['enableTtl', 'setDeletionProtection']);
  assert.deepEqual(ops({ ...spec, ttlAttribute: 't' }, known({ deletionProtection: true })), ['setDeletionProtection', 'enableTtl']);
  assert.deepEqual(ops({ ...spec, billing: { readCapacity: 5, writeCapacity: 5 } }, known()), ['setBilling']);
});

test('a key change is refused, naming the old and new keys, unless replace is asked for', () => {
  const next = { ...spec, partitionKey: { name: 'id', type: 'N' as const }, sortKey: { name: 'at', type: 'S' as const } };
  assert.throws(() => planTable(next, known()), (e: HangarError) => e.code === 'COMPONENT_REPLACE_REQUIRED'
    && e.message.includes('partition key pk (S) and sort key none') && e.message.includes('partition key id (N) and sort key at (S)')
    && e.message.includes('--replace'));
  assert.throws(() => planTable({ ...spec, partitionKey: { name: 'pk', type: 'N' } }, known()), (e: HangarError) => e.code === 'COMPONENT_REPLACE_REQUIRED');
  assert.deepEqual(ops(next, known(), true), ['deleteTable', 'createTable']);
  assert.deepEqual(ops({ ...next, ttlAttribute: 't' }, known({ deletionProtection: true }), true), ['setDeletionProtection', 'deleteTable', 'createTable', 'enableTtl']);
  assert.throws(() => planTable({ ...next, deletionProtection: true }, known(), { replace: true }), (e: HangarError) => e.code === 'COMPONENT_DELETION_PROTECTED');
});

test('removal deletes the table, and is refused while deletion protection is on', () => {
  assert.deepEqual(ops(null, known()), ['deleteTable']);
  assert.deepEqual(ops(null, undefined), []);
  assert.throws(() => planTable(null, known({ deletionProtection: true })), (e: HangarError) =>
    e.code === 'COMPONENT_DELETION_PROTECTED' && e.message.includes('inputs.deletionProtection: false'));
});

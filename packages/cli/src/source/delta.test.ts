import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, manifestId, type ManifestEntry } from '@hangar/core';
import { planSourceRequest } from './delta.js';

const e = (path: string, sha: string, mode = 0o644): ManifestEntry => ({ path, sha256: sha.repeat(64).slice(0, 64), size: 10, mode });

test('no last manifest: the full entries are sent', () => {
  const entries = [e('a', '1'), e('b', '2')];
  assert.deepEqual(planSourceRequest(undefined, entries), { kind: 'full', entries });
});

test('a delta lists only added, changed (content or mode) and removed files, and the new id', () => {
  const before = [e('a', '1'), e('b', '2'), e('c', '3'), e('d', '4')];
  const last = { manifestId: manifestId(before), entries: new Map(before.map((x) => [x.path, x])) };
  const now = [e('a', '1'), e('b', '9'), e('c', '3', 0o755), e('z', '5')];
  const req = planSourceRequest(last, now);
  assert.equal(req.kind, 'delta');
  if (req.kind !== 'delta') return;
  assert.equal(req.base, last.manifestId);
  assert.deepEqual(req.put.map((x) => x.path), ['b', 'c', 'z']);
  assert.deepEqual(req.delete, ['d']);
  assert.equal(req.manifestId, manifestId(now));
  // The engine applying it to its copy of the base gets the same manifest id.
  assert.equal(manifestId(applyDelta(last.entries, req.put, req.delete).values()), req.manifestId);
});

test('an unchanged tree gives an empty delta of a few hundred bytes', () => {
  const entries = Array.from({ length: 12_000 }, (_, i) => e(`node_modules/pkg${i}/index.js`, String(i % 10)));
  const last = { manifestId: manifestId(entries), entries: new Map(entries.map((x) => [x.path, x])) };
  const req = planSourceRequest(last, entries);
  assert.deepEqual(req, { kind: 'delta', base: last.manifestId, put: [], delete: [], manifestId: last.manifestId });
  assert.ok(JSON.stringify(req).length < 300);
});

test('an unchanged tree is planned from the last id alone: the stored entries are not even read', () => {
  const entries = [e('a', '1'), e('b', '2')];
  const id = manifestId(entries);
  const req = planSourceRequest({ manifestId: id, entries: () => { throw new Error('read the entries'); } }, entries);
  assert.deepEqual(req, { kind: 'delta', base: id, put: [], delete: [], manifestId: id });
  // A missing entries file (the .id survived alone) falls back to the full manifest.
  assert.equal(planSourceRequest({ manifestId: 'f'.repeat(64), entries: () => undefined }, entries).kind, 'full');
});

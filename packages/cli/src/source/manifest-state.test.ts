import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { loadLastManifest, manifestStatePath, openLastManifest, saveLastManifest } from './manifest-state.js';

test('the last manifest is kept per engine, org, app, stage and instance, in 0600 files', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-state-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const key = { url: 'http://e:1/', orgId: 'org_1', app: 'shop', stage: 'dev', name: 'api' };
  const file = manifestStatePath(home, key);
  assert.equal(file, manifestStatePath(home, { ...key, url: 'http://e:1' }));
  assert.notEqual(file, manifestStatePath(home, { ...key, stage: 'prod' }));
  assert.notEqual(file, manifestStatePath(home, { ...key, orgId: 'org_2' }));
  assert.equal(openLastManifest(file), undefined);
  const entries: ManifestEntry[] = [{ path: 'a.js', sha256: 'a'.repeat(64), size: 3, mode: 0o644 }, { path: 'bin/x', sha256: 'b'.repeat(64), size: 9, mode: 0o755 }];
  const id = manifestId(entries);
  saveLastManifest(file, id, entries);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(openLastManifest(file)?.manifestId, id);
  assert.deepEqual([...loadLastManifest(file)!.entries.values()], entries);
  // Entries that do not belong to the id are not trusted.
  writeFileSync(file, `hangar-manifest 1 ${'c'.repeat(64)}\n`);
  assert.equal(loadLastManifest(file), undefined);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  const other: ManifestEntry[] = [{ path: 'c.js', sha256: 'c'.repeat(64), size: 1, mode: 0o644 }];
  const otherFile = join(home, 'other.bin');
  saveLastManifest(otherFile, manifestId(other), other);
  writeFileSync(file, readFileSync(otherFile));
  assert.equal(loadLastManifest(file), undefined);
  // Nor a damaged file, nor version 1's text (the deploy then sends the whole manifest).
  writeFileSync(file, 'not v8 at all');
  assert.equal(loadLastManifest(file), undefined);
  writeFileSync(file, `hangar-manifest 1 ${id}\na.js\t${'a'.repeat(64)}\t3\t420\n`);
  assert.equal(loadLastManifest(file), undefined);
});

test('a path with a newline is left out (sent again next time); version 1\'s file is removed on save', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-state-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const file = manifestStatePath(home, { url: 'http://e:1', orgId: 'org_1', app: 'a', stage: 's', name: 'n' });
  const v1 = `${file.slice(0, -4)}.tsv`;
  mkdirSync(join(home, 'cache'), { recursive: true });
  writeFileSync(v1, 'hangar-manifest 1 x\n');
  const entries: ManifestEntry[] = [{ path: 'ok.js', sha256: 'd'.repeat(64), size: 0, mode: 0o644 }, { path: 'bad\nname', sha256: 'e'.repeat(64), size: 5, mode: 0o644 }];
  const id = manifestId(entries);
  saveLastManifest(file, id, entries);
  assert.deepEqual([...loadLastManifest(file)!.entries.keys()], ['ok.js']);
  assert.equal(existsSync(v1), false);
});

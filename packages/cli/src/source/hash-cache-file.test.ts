import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { hashCachePath, loadHashCache, saveHashCache } from './hash-cache-file.js';
import type { HashCacheEntry } from './hash-tree.js';

const entry = (i: number): HashCacheEntry => ({ size: i * 7, mtimeMs: 1733087466123.457 + i / 8, ino: 2 ** 40 + i, sha256: i.toString(16).padStart(64, '0') });

test('version 2 round-trips every field exactly (fractional mtimes, large inodes), in a 0600 file', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-hc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const file = hashCachePath(home, '/src/app');
  assert.match(file, /tree-[0-9a-f]{32}\.bin$/);
  const cache = new Map<string, HashCacheEntry>();
  for (let i = 0; i < 1000; i++) cache.set(`node_modules/p${i}/index.js`, entry(i));
  cache.set('a b/ü€.txt', entry(5000));
  saveHashCache(file, cache);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(loadHashCache(file), cache);
  saveHashCache(file, new Map());
  assert.equal(loadHashCache(file).size, 0);
});

test('a path holding a newline is left out, the rest kept', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-hc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const file = hashCachePath(home, '/src/app');
  saveHashCache(file, new Map([['a', entry(1)], ['odd\nname', entry(2)], ['z', entry(3)]]));
  assert.deepEqual(loadHashCache(file), new Map([['a', entry(1)], ['z', entry(3)]]));
});

test('a damaged, truncated, inconsistent or version-1 cache is empty; saving replaces it and removes the version-1 file', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-hc-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const file = hashCachePath(home, '/src/app');
  mkdirSync(join(home, 'cache'), { recursive: true });
  const cache = new Map([['a.js', entry(1)], ['b.js', entry(2)]]);
  saveHashCache(file, cache);
  const good = readFileSync(file);
  const nums = new Float64Array([1, 2, 3, 4, 5, 6]);
  const bad: Buffer[] = [
    Buffer.from('garbage'),
    good.subarray(0, good.length - 20),
    serialize({ v: 1, paths: 'a.js\nb.js', nums, sha: 'a'.repeat(128) }),
    serialize({ v: 2, paths: 'a.js', nums, sha: 'a'.repeat(128) }), // two rows of numbers, one path
    serialize({ v: 2, paths: 'a.js\nb.js', nums, sha: 'a'.repeat(127) }),
    serialize({ v: 2, paths: 'a.js\nb.js', nums: [1, 2, 3, 4, 5, 6], sha: 'a'.repeat(128) }),
    Buffer.from(JSON.stringify({ v: 1, entries: [['a.js', 7, 1, 1, 'a'.repeat(64)]] })),
  ];
  for (const b of bad) {
    writeFileSync(file, b);
    assert.equal(loadHashCache(file).size, 0, `${b.subarray(0, 16).toString('hex')}`);
  }
  assert.equal(loadHashCache(join(home, 'cache', 'missing.bin')).size, 0);
  const v1 = file.replace(/\.bin$/, '.json');
  writeFileSync(v1, JSON.stringify({ v: 1, entries: [['a.js', 7, 1, 1, 'a'.repeat(64)]] }));
  saveHashCache(file, cache);
  assert.deepEqual(loadHashCache(file), cache);
  assert.equal(existsSync(v1), false);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashTree, nodeTreeIo, type TreeIo } from './hash-tree.js';
import { loadHashCache, saveHashCache } from './hash-cache-file.js';
import { walkTree } from './walk.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'hangar-tree-'));
  const put = (p: string, text: string) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  };
  put('index.mjs', 'export const handler = 1;\n');
  put('lib/util.js', 'module.exports = 2;\n');
  put('node_modules/dep/index.js', 'dep\n');
  put('.env', 'SECRET=canary-dotenv\n');
  put('.env.production', 'SECRET=canary-prod\n');
  put('lib/.env.local', 'SECRET=canary-local\n');
  put('.git/config', '[core]\n');
  put('.hangar/state', 'x\n');
  put('bin/run', '#!/bin/sh\n');
  chmodSync(join(root, 'bin/run'), 0o755);
  symlinkSync(join(root, 'lib'), join(root, 'lib-link'));
  symlinkSync(join(root, 'index.mjs'), join(root, 'alias.mjs'));
  return root;
}

function countingIo(): TreeIo & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads, stat: nodeTreeIo.stat,
    readFile: (p) => { reads.push(p); return nodeTreeIo.readFile(p); },
    readWithStat: (p) => { reads.push(p); return nodeTreeIo.readWithStat(p); },
  };
}

test('the walk keeps node_modules and skips .git, .hangar, every .env* file and symlinked folders', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  assert.deepEqual(walkTree(root), ['alias.mjs', 'bin/run', 'index.mjs', 'lib/util.js', 'node_modules/dep/index.js']);
});

test('entries carry sha256, size and the executable bit only', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const r = hashTree(root);
  const byPath = new Map(r.entries.map((e) => [e.path, e]));
  const text = 'export const handler = 1;\n';
  assert.equal(byPath.get('index.mjs')?.sha256, createHash('sha256').update(text).digest('hex'));
  assert.equal(byPath.get('index.mjs')?.size, Buffer.byteLength(text));
  assert.equal(byPath.get('index.mjs')?.mode, 0o644);
  assert.equal(byPath.get('bin/run')?.mode, 0o755);
  assert.equal(byPath.get('alias.mjs')?.sha256, byPath.get('index.mjs')?.sha256);
  assert.equal(r.hashedFiles, 5);
});

test('an unchanged file is not read again: same size, mtime and inode come from the cache', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'lib/util.js');
  utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds, so it can be restored exactly
  const first = hashTree(root, { startedAt: Date.now() + 10_000 });
  const io = countingIo();
  const second = hashTree(root, { cache: first.cache, io, startedAt: Date.now() + 10_000 });
  assert.deepEqual(io.reads, []);
  assert.equal(second.hashedFiles, 0);
  assert.deepEqual(second.entries, first.entries);

  // Same size and mtime, different bytes: the cache is trusted (proof that the file was not read).
  writeFileSync(file, 'module.exports = 3;\n');
  utimesSync(file, 1_700_000_000, 1_700_000_000);
  const third = hashTree(root, { cache: second.cache, io, startedAt: Date.now() + 10_000 });
  assert.deepEqual(io.reads, []);
  assert.equal(third.entries.find((e) => e.path === 'lib/util.js')?.sha256, first.entries.find((e) => e.path === 'lib/util.js')?.sha256);

  // A real edit changes the mtime: exactly that file is read.
  writeFileSync(file, 'module.exports = 4; // longer\n');
  const fourth = hashTree(root, { cache: third.cache, io, startedAt: Date.now() + 10_000 });
  assert.deepEqual(io.reads, [file]);
  assert.equal(fourth.hashedFiles, 1);
  assert.equal(fourth.entries.find((e) => e.path === 'lib/util.js')?.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
});

test('a file modified at or after the scan started is hashed but not cached (racy edits)', (t) => {
  const root = tree();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const r = hashTree(root, { startedAt: 0 });
  assert.equal(r.cache.size, 0);
  const io = countingIo();
  hashTree(root, { cache: r.cache, io });
  assert.equal(io.reads.length, 5);
});

test('the cache file round-trips and a damaged one is just empty', (t) => {
  const root = tree();
  const home = mkdtempSync(join(tmpdir(), 'hangar-home-'));
  t.after(() => { rmSync(root, { recursive: true, force: true }); rmSync(home, { recursive: true, force: true }); });
  const file = join(home, 'cache', 'tree.bin');
  const r = hashTree(root, { startedAt: Date.now() + 10_000 });
  saveHashCache(file, r.cache);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(loadHashCache(file), r.cache);
  writeFileSync(file, 'garbage');
  assert.equal(loadHashCache(file).size, 0);
  assert.equal(loadHashCache(join(home, 'missing.json')).size, 0);
});

test('keep: the bytes of files read for hashing are kept by sha256, within the per-file and total bounds; cached files are not read for it', () => {
  const root = tree();
  try {
    const bigText = 'x'.repeat(100);
    writeFileSync(join(root, 'big.txt'), bigText);
    const io = countingIo();
    const r = hashTree(root, { io, startedAt: Date.now() + 60_000, keep: { maxFileBytes: 50, maxTotalBytes: 1000 } });
    const bySha = new Map(r.entries.map((e) => [e.sha256, e.path] as const));
    assert.equal(r.kept.size, bySha.size - 1, 'every distinct content but the one over maxFileBytes');
    for (const [sha, bytes] of r.kept) assert.equal(createHash('sha256').update(bytes).digest('hex'), sha, bySha.get(sha));
    assert.ok(![...r.kept.keys()].some((s) => bySha.get(s) === 'big.txt'));
    // The total bound: only what fits.
    const tight = hashTree(root, { keep: { maxFileBytes: 50, maxTotalBytes: 30 } });
    assert.ok([...tight.kept.values()].reduce((n, b) => n + b.length, 0) <= 30);
    assert.ok(tight.kept.size >= 1);
    // Without the option nothing is kept; with a warm cache nothing is read, so nothing is kept.
    assert.equal(hashTree(root).kept.size, 0);
    const warm = countingIo();
    const again = hashTree(root, { io: warm, cache: r.cache, startedAt: Date.now() + 60_000, keep: { maxFileBytes: 50, maxTotalBytes: 1000 } });
    assert.equal(warm.reads.length, 0);
    assert.equal(again.kept.size, 0);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

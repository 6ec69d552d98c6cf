import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { createCodeUnpacker, createFileStore, type FileStore, type UnpackedCode } from './code.js';
import { mergeLayers } from './layers.js';
import { createSweeper } from './sweeper.js';

const unpacker = createCodeUnpacker();
test.after(() => unpacker.close());
const pkg = (files: Record<string, string>) => unpacker.inspect({ bytes: zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))) }, 'Test');
const writeCode = async (dir: string, code: UnpackedCode | Promise<UnpackedCode>, store: FileStore) => unpacker.write(dir, await code, store);

test('file store: an update changing one file writes one file; the rest are links to the stored copies', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  try {
    const store = createFileStore(join(root, '.files'));
    const v1 = { 'index.js': 'v1', 'node_modules/a/index.js': 'a', 'node_modules/b/index.js': 'b', 'LICENSE': 'same', 'node_modules/a/LICENSE': 'same' };
    await writeCode(join(root, 'fn', '1'), pkg(v1), store);
    assert.deepEqual(store.stats, { written: 4, linked: 1 }, 'five files, four distinct contents');

    await writeCode(join(root, 'fn', '2'), pkg({ ...v1, 'index.js': 'v2' }), store);
    assert.deepEqual(store.stats, { written: 5, linked: 5 }, 'one new content written, four linked');
    assert.equal(await readFile(join(root, 'fn', '2', 'index.js'), 'utf8'), 'v2');
    assert.equal(await readFile(join(root, 'fn', '2', 'node_modules/a/index.js'), 'utf8'), 'a');
    const [a1, a2] = await Promise.all([stat(join(root, 'fn', '1', 'node_modules/a/index.js')), stat(join(root, 'fn', '2', 'node_modules/a/index.js'))]);
    assert.equal(a1.ino, a2.ino, 'the same stored file');
    assert.equal(a2.mode & 0o222, 0, 'read-only, as /var/task');

    // Removing the old package drops only the content no package holds any more ('v1').
    await unpacker.remove(join(root, 'fn', '1'), store);
    assert.equal((await readdir(join(root, '.files'))).length, 4);
    await unpacker.remove(join(root, 'fn', '2'), store);
    assert.deepEqual(await readdir(join(root, '.files')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('mergeLayers links the layers\' files in order (a later layer\'s file wins) and points node_modules at them', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  try {
    const store = createFileStore(join(root, '.files'));
    await writeCode(join(root, 'layers', 'x', '1'), pkg({ 'nodejs/node_modules/dep/index.js': 'x', 'nodejs/node_modules/only-x/index.js': 'ox' }), store);
    await writeCode(join(root, 'layers', 'y', '1'), pkg({ 'nodejs/node_modules/dep/index.js': 'y' }), store);
    const written = store.stats.written;
    await mergeLayers(root, join('fn', 'opt-1'), [join('layers', 'x', '1'), join('layers', 'y', '1')]);
    assert.equal(store.stats.written, written, 'nothing rewritten');
    assert.equal(await readFile(join(root, 'fn', 'node_modules', 'dep', 'index.js'), 'utf8'), 'y');
    assert.equal(await readFile(join(root, 'fn', 'node_modules', 'only-x', 'index.js'), 'utf8'), 'ox');
    const [layerFile, optFile] = await Promise.all([stat(join(root, 'layers', 'x', '1', 'nodejs/node_modules/only-x/index.js')), stat(join(root, 'fn', 'opt-1', 'nodejs/node_modules/only-x/index.js'))]);
    assert.equal(layerFile.ino, optFile.ino);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/**
 * Removing a package releases its contents (stat, and unlink when nothing else links the copy);
 * unpacking links the stored copies. Run interleaved, a release can delete a copy an unpack just
 * linked (the store loses it) or just wrote and not linked yet (the unpack fails). The unpacker
 * orders them: the worker runs one job at a time, and a small package, done on the calling thread,
 * waits in the worker's queue while a job that changes the store is there. These tests issue both
 * in the same tick, through the unpacker, and check from the store's counts which ran first: the
 * one issued first, whichever path each takes.
 */
test('file store: an unpack and a removal sharing contents never interleave (the one issued first runs first, inline or in the worker)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  try {
    const store = createFileStore(join(root, '.files'));
    // 40 incompressible contents: a zip of all of them is over the 64 KB done inline (the worker's);
    // one of the first 10 is under it (inline).
    const contents = Array.from({ length: 40 }, () => randomBytes(4096).toString('base64'));
    const big = Object.fromEntries(contents.map((c, i) => [`nodejs/f${i}.js`, c]));
    const small = Object.fromEntries(contents.slice(0, 10).map((c, i) => [`f${i}.js`, c]));
    const bigCode = await pkg(big);
    const smallCode = await pkg(small);
    assert.ok(bigCode.size > 64 * 1024 && smallCode.size < 64 * 1024);
    const stats = () => ({ ...store.stats, stored: readdirSync(join(root, '.files')).length });
    const nlinks = (dir: string, n: number) => Promise.all(Array.from({ length: n }, async (_, i) => (await stat(join(root, dir, `f${i}.js`))).nlink));

    // The big package is being removed (in the worker) when the small one, holding 10 of its
    // contents, is written: the write waits, then finds the 10 freed and writes them again.
    await writeCode(join(root, 'a'), bigCode, store);
    const inWorker = unpacker.stats.worker;
    const before = stats();
    await Promise.all([unpacker.remove(join(root, 'a'), store), unpacker.write(join(root, 'b'), smallCode, store)]);
    assert.deepEqual(stats(), { written: before.written + 10, linked: before.linked, stored: 10 }, 'the write ran after the removal, not during it');
    assert.equal(unpacker.stats.worker, inWorker + 2, 'the small write queued in the worker behind the removal');
    assert.deepEqual(await nlinks('b', 10), Array(10).fill(2), 'each file is linked from the store');

    // The reverse: a big package is being written (in the worker) when the small one holding 10 of
    // its contents is removed: the removal waits, and finds them linked by the new package.
    const between = stats();
    await Promise.all([unpacker.write(join(root, 'c', 'nodejs'), await pkg(Object.fromEntries(contents.map((c, i) => [`f${i}.js`, c]))), store), unpacker.remove(join(root, 'b'), store)]);
    assert.deepEqual(stats(), { written: between.written + 30, linked: between.linked + 10, stored: 40 }, 'the removal ran after the write, not during it');
    assert.deepEqual(await nlinks(join('c', 'nodejs'), 40), Array(40).fill(2));

    // With nothing in the worker, a small removal runs inline and still frees what only it held.
    await unpacker.remove(join(root, 'c', 'nodejs'), store);
    assert.deepEqual(readdirSync(join(root, '.files')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sweeper: a dropped folder is freed in the background, only when nothing uses it, keeping contents other packages hold', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  try {
    const store = createFileStore(join(root, '.files'));
    const layer = (name: string, version: number) => join('layers', '111111111111', 'us-east-1', name, String(version));
    const v1 = layer('a', 1);
    const v2 = layer('a', 2);
    await writeCode(join(root, v1), pkg({ 'nodejs/shared.js': 'shared', 'nodejs/only-v1.js': 'v1' }), store);
    await writeCode(join(root, v2), pkg({ 'nodejs/shared.js': 'shared', 'nodejs/only-v2.js': 'v2' }), store);
    const used = new Set([v1]);
    const sweeper = createSweeper({ codeRoot: async () => root, remove: (dir) => unpacker.remove(dir, store), inUse: (d) => used.has(d) });

    sweeper.drop(v1);
    assert.ok(existsSync(join(root, v1, 'nodejs', 'only-v1.js')), 'drop answers before anything is removed');
    await sweeper.idle();
    assert.deepEqual(sweeper.stats, { removed: 0, kept: 1 }, 'still used: kept');
    assert.ok(existsSync(join(root, v1, 'nodejs', 'only-v1.js')));

    used.delete(v1);
    sweeper.drop(v1);
    sweeper.drop(v1); // queued once
    await sweeper.idle();
    assert.deepEqual(sweeper.stats, { removed: 1, kept: 1 });
    for (const p of [v1, `${v1}.zip`, `${v1}.files`]) assert.ok(!existsSync(join(root, p)), `${p} removed`);
    assert.equal((await readdir(join(root, '.files'))).length, 2, 'only-v1 freed; shared and only-v2 kept');
    assert.equal((await stat(join(root, v2, 'nodejs', 'shared.js'))).nlink, 2, 'the shared content: the store and v2');

    // A start frees what a stop interrupted: folders on disk nothing uses.
    used.add(v2);
    await writeCode(join(root, layer('b', 1)), pkg({ 'x.js': 'x' }), store);
    await sweeper.dropUnused();
    await sweeper.idle();
    assert.ok(!existsSync(join(root, layer('b', 1))), 'unused: freed');
    assert.ok(existsSync(join(root, v2)), 'used: kept');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('file store: a new content is written once at its place and linked into the store, read-only whatever the umask', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  const umask = process.umask(0o077); // would leave 0o400
  try {
    const store = createFileStore(join(root, '.files'));
    await writeCode(join(root, 'fn', '1'), pkg({ 'a.js': 'a', 'b.js': 'b', 'c.js': 'a' }), store);
    assert.deepEqual(store.stats, { written: 2, linked: 1 });
    const stored = readdirSync(join(root, '.files'));
    assert.equal(stored.length, 2, 'the two contents, nothing else (no temporary file)');
    for (const [file, content] of [['a.js', 'a'], ['b.js', 'b'], ['c.js', 'a']] as const) {
      const s = await stat(join(root, 'fn', '1', file));
      assert.equal(s.mode & 0o777, 0o444, `${file} read-only for everyone`);
      const copy = await stat(join(root, '.files', createHash('sha256').update(content).digest('hex')));
      assert.equal(copy.ino, s.ino, `${file} is the stored copy`);
    }
  } finally {
    process.umask(umask);
    await rm(root, { recursive: true, force: true });
  }
});

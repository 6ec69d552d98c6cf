import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { createCodeUnpacker, createFileStore, removeCode, type FileStore } from './code.js';
import { mergeLayers } from './layers.js';
import { createSweeper } from './sweeper.js';

const unpacker = createCodeUnpacker();
test.after(() => unpacker.close());
const pkg = (files: Record<string, string>) => unpacker.inspect({ bytes: zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)]))) }, 'Test');
const writeCode = async (dir: string, code: ReturnType<typeof pkg>, store: FileStore) => unpacker.write(dir, await code, store);

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
    await removeCode(join(root, 'fn', '1'), store);
    assert.equal((await readdir(join(root, '.files'))).length, 4);
    await removeCode(join(root, 'fn', '2'), store);
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

test('file store: a content released while a new package links it is kept (place and release of one content never interleave)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'hangar-files-'));
  try {
    const store = createFileStore(join(root, '.files'));
    const lost: number[] = [];
    for (let i = 0; i < 40; i++) {
      const data = strToU8(`content ${i}`);
      const hash = await store.place(join(root, `old-${i}`), data);
      await rm(join(root, `old-${i}`)); // the old package is gone: only the stored copy is left
      // Its release races a new package linking the same content.
      await Promise.all([store.release([hash]), store.place(join(root, `new-${i}`), data)]);
      const copy = await stat(join(root, '.files', hash)).catch(() => undefined);
      if (!copy || copy.nlink !== 2) lost.push(i);
      assert.equal(await readFile(join(root, `new-${i}`), 'utf8'), `content ${i}`);
    }
    assert.deepEqual(lost, [], 'the stored copy survives, linked by the new package');
    // And a later release, with nothing linking it any more, still frees it.
    await rm(join(root, 'new-0'));
    await store.release([createHash('sha256').update('content 0').digest('hex')]);
    assert.equal((await readdir(join(root, '.files'))).length, 39);
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
    const sweeper = createSweeper({ codeRoot: async () => root, files: async () => store, inUse: (d) => used.has(d) });

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

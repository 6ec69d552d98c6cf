import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { createCodeUnpacker, createFileStore, removeCode, type FileStore } from './code.js';
import { mergeLayers } from './layers.js';

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

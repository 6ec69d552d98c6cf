import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { buildZip } from './zip.js';
import { createPackager as newPackager, type Packager, type PackagerOptions } from './zip-pool.js';
import { createFsBlobStore } from './blob-store.js';
import { createSourceCache } from './source-cache.js';

/**
 * Packagers made by a test, closed before its folder is removed: a worker writes entry files
 * after the build that made them has finished.
 */
const made: Packager[] = [];
const createPackager = (options: PackagerOptions): Packager => {
  const p = newPackager(options);
  made.push(p);
  return p;
};
const closePackagers = async (): Promise<void> => {
  await Promise.all(made.splice(0).map((p) => p.close()));
};

const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const entry = (path: string, content: string, mode = 0o644): ManifestEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content), mode });

/** [name, unix mode] from each central directory record. */
function centralModes(zip: Uint8Array): Array<[string, number]> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (v.getUint32(i, true) !== 0x02014b50) continue;
    const nameLen = v.getUint16(i + 28, true);
    const attrs = v.getUint32(i + 38, true);
    out.push([strFromU8(zip.subarray(i + 46, i + 46 + nameLen)), (attrs >>> 16) & 0o777]);
  }
  return out;
}

describe('buildZip', () => {
  const files: Record<string, string> = { 'z.js': 'zzz', 'a/b.js': 'bbb', 'bin/run': '#!/bin/sh\n', 'a.js': 'aaa' };
  const entries = [entry('z.js', 'zzz'), entry('a/b.js', 'bbb'), entry('bin/run', '#!/bin/sh\n', 0o755), entry('a.js', 'aaa')];
  const read = async (h: string) => new TextEncoder().encode(Object.values(files).find((c) => sha(c) === h)!);

  test('is byte-for-byte deterministic whatever the entry order, with sorted paths and modes kept', async () => {
    const one = await buildZip(entries, read);
    const two = await buildZip([...entries].reverse(), read);
    assert.deepEqual(Buffer.from(one), Buffer.from(two));
    const unzipped = unzipSync(one);
    assert.deepEqual(Object.keys(unzipped), ['a.js', 'a/b.js', 'bin/run', 'z.js']);
    assert.equal(strFromU8(unzipped['bin/run']!), '#!/bin/sh\n');
    assert.deepEqual(centralModes(one), [['a.js', 0o644], ['a/b.js', 0o644], ['bin/run', 0o755], ['z.js', 0o644]]);
  });
});

describe('buildZipInWorker (the packager)', () => {
  test('writes the very same bytes as buildZip, so CodeSha256 stays stable, for small, empty and large incompressible files', async () => {
    const blobs = new Map<string, Uint8Array>();
    const add = (path: string, bytes: Uint8Array, mode = 0o644): ManifestEntry => {
      const h = createHash('sha256').update(bytes).digest('hex');
      blobs.set(h, bytes);
      return { path, sha256: h, size: bytes.length, mode };
    };
    const entries = [
      add('b.js', new TextEncoder().encode('b'.repeat(10_000))),
      add('empty.txt', new Uint8Array(0)),
      add('bin/tool', new TextEncoder().encode('#!/bin/sh\necho hi\n'), 0o755),
      add('big.bin', new Uint8Array(randomBytes(3 * 1024 * 1024))),
      ...Array.from({ length: 300 }, (_, i) => add(`lib/f${i}.js`, new TextEncoder().encode(`module.exports = ${i};\n`.repeat(i % 7 + 1)))),
    ];
    const read = async (h: string) => new Uint8Array(blobs.get(h)!);
    const dir = mkdtempSync(join(tmpdir(), 'hangar-zip-'));
    try {
      const reference = await buildZip(entries, read);
      const out = join(dir, 'w.zip');
      // A small in-flight window makes the main thread wait for the worker's acks.
      const size = await createPackager({ entriesDir: join(dir, 'entries'), maxInFlightBytes: 64 * 1024 }).build([...entries].reverse(), read, out);
      const bytes = readFileSync(out);
      assert.equal(size, bytes.length);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(reference).digest('hex'));
      assert.equal(Object.keys(unzipSync(new Uint8Array(bytes))).length, entries.length);
      // a blob whose size differs from the manifest is refused (the packagers close their workers in `finally`)
      await assert.rejects(createPackager({ entriesDir: join(dir, 'entries2') }).build([{ ...entries[0]!, size: 1 }], read, join(dir, 'bad.zip')), /has 10000 bytes, the manifest says 1/);
    } finally {
      await closePackagers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('assembleZip', () => {
  let h: Harness;
  before(async () => { h = await createHarness({ start: false }); });
  after(async () => { await h?.close(); });

  test('builds the package from blobs once, then serves it from the cache by manifest id', async () => {
    const files = { 'index.js': 'exports.handler = async () => 1;', 'package.json': '{"type":"commonjs"}' };
    const entries = Object.entries(files).map(([p, c]) => entry(p, c));
    const up = await h.feature.source.upload(h.orgA, { kind: 'full', entries });
    for (const [, c] of Object.entries(files)) await h.feature.source.putBlob(h.orgA, sha(c), new TextEncoder().encode(c));
    const first = await h.feature.source.assembleZip(up.manifestId);
    assert.equal(strFromU8(unzipSync(first)['index.js']!), files['index.js']);
    const cached = join(h.dataDir, 'packages', `${manifestId(entries)}.zip`);
    const mtime = statSync(cached).mtimeMs;
    // Prove the second call reads the cache: tamper with the cached file and get the tampered bytes back.
    writeFileSync(cached, 'cached');
    const second = await h.feature.source.assembleZip(up.manifestId);
    assert.equal(Buffer.from(second).toString(), 'cached');
    assert.ok(mtime > 0);
  });

  test('refuses a manifest whose blobs were never uploaded', async () => {
    const up = await h.feature.source.upload(h.orgA, { kind: 'full', entries: [entry('never.js', 'never uploaded')] });
    await assert.rejects(h.feature.source.assembleZip(up.manifestId), { code: 'SOURCE_BLOBS_MISSING' });
    await assert.rejects(h.feature.source.assembleZip('c'.repeat(64)), { code: 'SOURCE_MANIFEST_UNKNOWN' });
  });

  test('assembleLayered: node_modules goes to nodejs/node_modules in its own package, whose id a code-only change keeps', async () => {
    const files = {
      'index.js': 'exports.handler = async () => require("dep")();',
      'node_modules/dep/index.js': 'module.exports = () => 1;',
      'node_modules/dep/package.json': '{"name":"dep"}',
    };
    const upload = async (f: Record<string, string>) => {
      const entries = Object.entries(f).map(([p, c]) => entry(p, c));
      const up = await h.feature.source.upload(h.orgA, { kind: 'full', entries });
      for (const c of Object.values(f)) await h.feature.source.putBlob(h.orgA, sha(c), new TextEncoder().encode(c));
      return h.feature.source.assembleLayered(up.manifestId);
    };
    const first = await upload(files);
    assert.deepEqual(Object.keys(unzipSync(await first.code.zip())), ['index.js']);
    assert.deepEqual(Object.keys(unzipSync(await first.deps!.zip())).sort(), ['nodejs/node_modules/dep/index.js', 'nodejs/node_modules/dep/package.json']);
    assert.equal(first.deps!.unzippedBytes, Buffer.byteLength(files['node_modules/dep/index.js']) + Buffer.byteLength(files['node_modules/dep/package.json']));

    const codeOnly = await upload({ ...files, 'index.js': 'exports.handler = async () => 2;' });
    assert.equal(codeOnly.deps!.id, first.deps!.id);
    assert.notEqual(codeOnly.code.id, first.code.id);
    const depsChange = await upload({ ...files, 'node_modules/dep/index.js': 'module.exports = () => 3;' });
    assert.notEqual(depsChange.deps!.id, first.deps!.id);
    assert.equal(depsChange.code.id, first.code.id);
    const none = await upload({ 'index.js': files['index.js'] });
    assert.equal(none.deps, undefined);
  });

  test('file(): the built package streamed from its file gives the same bytes as zip(), for the whole package and each part', async () => {
    const files = {
      'index.js': 'exports.handler = async () => require("big")();',
      // Incompressible, so the zip spans several read-stream chunks (64 KiB each).
      'node_modules/big/blob.bin': randomBytes(300 * 1024).toString('base64'),
      'node_modules/big/index.js': 'module.exports = () => 1;',
    };
    const entries = Object.entries(files).map(([p, c]) => entry(p, c));
    const up = await h.feature.source.upload(h.orgA, { kind: 'full', entries });
    for (const c of Object.values(files)) await h.feature.source.putBlob(h.orgA, sha(c), new TextEncoder().encode(c));
    const drain = async (s: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
      return { bytes: Buffer.concat(chunks), chunks: chunks.length };
    };
    // Asked for the file first: built once, then zip() reads the same file.
    const whole = await h.feature.source.assembleFile(up.manifestId);
    const streamed = await drain(whole.stream());
    const bytes = Buffer.from(await h.feature.source.assembleZip(up.manifestId));
    assert.equal(whole.size, bytes.length);
    assert.ok(streamed.chunks > 1, `streamed in ${streamed.chunks} chunk(s)`);
    assert.deepEqual(streamed.bytes, bytes);
    assert.deepEqual(Object.keys(unzipSync(streamed.bytes)).sort(), Object.keys(files).sort());
    // Each stream() is a fresh read of the file (a retried upload starts from the first byte).
    assert.deepEqual((await drain(whole.stream())).bytes, bytes);

    const layered = await h.feature.source.assembleLayered(up.manifestId);
    for (const part of [layered.code, layered.deps!]) {
      const f = await part.file();
      const got = (await drain(f.stream())).bytes;
      const zip = Buffer.from(await part.zip());
      assert.equal(f.size, zip.length);
      assert.deepEqual(got, zip);
    }
    assert.ok((await layered.deps!.file()).size > 300 * 1024);
  });
});

describe('incremental packaging', () => {
  test('a one-file change compresses exactly one file; identical inputs give byte-identical packages, cached or not; compressed types are stored', async () => {
    const blobs = new Map<string, Uint8Array>();
    const add = (path: string, text: string, mode = 0o644): ManifestEntry => {
      const bytes = new TextEncoder().encode(text);
      const h = createHash('sha256').update(bytes).digest('hex');
      blobs.set(h, bytes);
      return { path, sha256: h, size: bytes.length, mode };
    };
    const read = async (h: string) => new Uint8Array(blobs.get(h)!);
    const v1 = [
      ...Array.from({ length: 50 }, (_, i) => add(`src/m${i}.js`, `export const v = ${i};\n`.repeat(20))),
      add('public/logo.png', 'not really a png but stored as one '.repeat(50)),
      add('same/a.js', 'duplicate content\n'.repeat(10)),
      add('same/b.js', 'duplicate content\n'.repeat(10)),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'hangar-zip-'));
    try {
      const compressed: string[] = [];
      const packager = createPackager({ entriesDir: join(dir, 'entries'), onCompress: (_sha, path) => compressed.push(path) });
      await packager.build(v1, read, join(dir, 'v1.zip'));
      // the duplicate content is compressed once, under one of its paths
      assert.equal(compressed.length, v1.length - 1);

      compressed.length = 0;
      const v2 = v1.map((e) => (e.path === 'src/m7.js' ? add('src/m7.js', 'export const v = "changed";\n') : e));
      // built on the previous package: unchanged entries are copied out of it
      await packager.build(v2, read, join(dir, 'v2.zip'), { file: join(dir, 'v1.zip'), entries: v1 });
      assert.deepEqual(compressed, ['src/m7.js']);

      // the same inputs again, from the entry cache alone: nothing compressed, the very same bytes;
      // and the same bytes as a cold cache and as the in-thread reference
      compressed.length = 0;
      await packager.build([...v2].reverse(), read, join(dir, 'v2-again.zip'));
      assert.deepEqual(compressed, []);
      const cold = createPackager({ entriesDir: join(dir, 'cold'), inlineBytes: 0 }); // compressed in the worker, the others inline
      await cold.build(v2, read, join(dir, 'v2-cold.zip'));
      const hash = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
      assert.equal(hash('v2-again.zip'), hash('v2.zip'));
      assert.equal(hash('v2-cold.zip'), hash('v2.zip'));
      assert.equal(createHash('sha256').update(await buildZip(v2, read)).digest('hex'), hash('v2.zip'));

      const zip = new Uint8Array(readFileSync(join(dir, 'v2.zip')));
      const unzipped = unzipSync(zip);
      assert.equal(strFromU8(unzipped['src/m7.js']!), 'export const v = "changed";\n');
      assert.equal(Object.keys(unzipped).length, v2.length);
      assert.deepEqual(centralMethods(zip).get('public/logo.png'), 0);
      assert.deepEqual(centralMethods(zip).get('src/m1.js'), 8);
      // a basis that is not this writer's zip is ignored (the entry cache is used)
      writeFileSync(join(dir, 'not-ours.zip'), 'PK junk');
      await packager.build(v1, read, join(dir, 'v1-again.zip'), { file: join(dir, 'not-ours.zip'), entries: v2 });
      assert.equal(hash('v1-again.zip'), hash('v1.zip'));
    } finally {
      await closePackagers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compression on arrival', () => {
  /** ~300 small text files, two sharing their content, one stored by extension. */
  function sourceOf(tag: string) {
    const blobs = new Map<string, Uint8Array>();
    const add = (path: string, text: string): ManifestEntry => {
      const bytes = new TextEncoder().encode(text);
      const h = createHash('sha256').update(bytes).digest('hex');
      blobs.set(h, bytes);
      return { path, sha256: h, size: bytes.length, mode: 0o644 };
    };
    const entries = [
      ...Array.from({ length: 300 }, (_, i) => add(`node_modules/p${i % 10}/f${i}.js`, `// ${tag} ${i}\nmodule.exports = ${i};\n`.repeat(1 + (i % 9)))),
      add('img/a.png', `${tag} not really a png `.repeat(40)),
      add('same/a.js', `${tag} duplicate\n`.repeat(30)),
      add('same/b.js', `${tag} duplicate\n`.repeat(30)),
    ];
    return { blobs, entries, read: async (h: string) => new Uint8Array(blobs.get(h)!) };
  }
  /** Files compressed, by origin, and no entry (hash + method) compressed twice. */
  function counter() {
    const seen = new Map<string, number>();
    const by = { build: 0, background: 0 };
    return {
      by,
      seen,
      onCompress: (sha: string, path: string, origin: 'build' | 'background') => {
        by[origin]++;
        const key = `${sha}:${path.endsWith('.png') ? 'store' : 'deflate'}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      },
      twice: () => [...seen].filter(([, n]) => n > 1),
    };
  }

  test('blobs compressed as they arrive: the package build then compresses nothing, and writes the same bytes as a cold build', async () => {
    const { entries, read } = sourceOf('arrive');
    const dir = mkdtempSync(join(tmpdir(), 'hangar-zip-'));
    try {
      const count = counter();
      const packager = createPackager({ entriesDir: join(dir, 'entries'), inlineBytes: 0, onCompress: count.onCompress });
      for (const e of entries) packager.precompress(e, await read(e.sha256), read);
      await packager.idle();
      // the duplicate content once: 302 distinct entries
      assert.deepEqual(count.by, { build: 0, background: entries.length - 1 });
      await packager.build(entries, read, join(dir, 'arrived.zip'));
      assert.deepEqual(count.by, { build: 0, background: entries.length - 1 }, 'the build compressed nothing');
      // a packager that never saw them: compresses everything, the very same bytes
      const cold = counter();
      await createPackager({ entriesDir: join(dir, 'cold'), inlineBytes: 0, onCompress: cold.onCompress }).build(entries, read, join(dir, 'cold.zip'));
      assert.equal(cold.by.build, entries.length - 1);
      const hash = (f: string) => createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
      assert.equal(hash('arrived.zip'), hash('cold.zip'));
      assert.equal(createHash('sha256').update(await buildZip(entries, read)).digest('hex'), hash('arrived.zip'));
      // a new packager on the same entry cache (an engine restart): nothing compressed either
      const restarted = counter();
      await createPackager({ entriesDir: join(dir, 'entries'), onCompress: restarted.onCompress }).build(entries, read, join(dir, 'again.zip'));
      assert.deepEqual(restarted.by, { build: 0, background: 0 });
      assert.equal(hash('again.zip'), hash('cold.zip'));
      await packager.close();
    } finally {
      await closePackagers();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a build that starts while the background queue is busy takes its files first and compresses none of them twice', { timeout: 120_000 }, async () => {
    const unrelated = sourceOf('unrelated');
    const wanted = sourceOf('wanted');
    const dir = mkdtempSync(join(tmpdir(), 'hangar-zip-'));
    try {
      const count = counter();
      // Nothing held by the queue: every background job reads its blob back when its turn comes.
      const packager = createPackager({ entriesDir: join(dir, 'entries'), inlineBytes: 0, maxQueuedBytes: 0, onCompress: count.onCompress });
      // The unrelated blobs' reads hang until the gate opens: the background's share of the
      // window fills up with them and the rest of them wait in the queue, ahead of `wanted`.
      let open!: () => void;
      const gate = new Promise<void>((r) => { open = r; });
      for (const e of unrelated.entries) packager.precompress(e, undefined, async (h) => { await gate; return unrelated.read(h); });
      for (const e of wanted.entries) packager.precompress(e, undefined, wanted.read);
      // The build needs `wanted`: its queued jobs move ahead, the ones already made are copied.
      await packager.build(wanted.entries, wanted.read, join(dir, 'wanted.zip'));
      const unrelatedKeys = new Set(unrelated.entries.map((e) => e.sha256));
      const unrelatedDone = [...count.seen.keys()].filter((k) => unrelatedKeys.has(k.split(':')[0]!)).length;
      assert.equal(unrelatedDone, 0, 'the build finished without waiting for the unrelated blobs');
      assert.equal(count.by.build + count.by.background, wanted.entries.length - 1, 'every wanted entry compressed once');
      const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
      assert.equal(hash(readFileSync(join(dir, 'wanted.zip'))), hash(await buildZip(wanted.entries, wanted.read)));
      open();
      await packager.idle();
      assert.equal(count.by.build + count.by.background, wanted.entries.length - 1 + unrelated.entries.length - 1);
      assert.deepEqual(count.twice(), []);
      // building the unrelated files now compresses nothing
      const before = count.by.build;
      await packager.build(unrelated.entries, unrelated.read, join(dir, 'unrelated.zip'));
      assert.equal(count.by.build, before);
      await packager.close();
    } finally {
      await closePackagers();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('through the source cache: uploaded blobs are compressed under the paths their manifest gave, and the package build compresses none', async () => {
    const { blobs, entries } = sourceOf('upload');
    const h = await createHarness({ start: false });
    try {
      const count = counter();
      const packagesDir = join(h.dataDir, 'own-packages');
      const packager = createPackager({ entriesDir: join(packagesDir, 'entries'), inlineBytes: 0, onCompress: count.onCompress });
      const cache = createSourceCache({
        db: h.store.db, blobs: createFsBlobStore(join(h.dataDir, 'own-blobs')), clock: { now: () => new Date() }, packagesDir, packager,
        limits: { maxFiles: 1000, maxTotalBytes: 10 * 1024 * 1024, maxFileBytes: 1024 * 1024, maxManifestEntries: 1000 },
      });
      const up = await cache.upload(h.orgA, { kind: 'full', entries });
      for (const sha of up.missing) await cache.putBlob(h.orgA, sha, blobs.get(sha)!);
      await packager.idle();
      // one entry per distinct content and method; the .png stored (its path gave the method)
      assert.deepEqual(count.by, { build: 0, background: entries.length - 1 });
      assert.ok(count.seen.has(`${entries.find((e) => e.path === 'img/a.png')!.sha256}:store`));
      const zip = await cache.assembleZip(up.manifestId);
      assert.deepEqual(count.by, { build: 0, background: entries.length - 1 }, 'the package build compressed nothing');
      assert.equal(Object.keys(unzipSync(zip)).length, entries.length);
      assert.equal(centralMethods(zip).get('img/a.png'), 0);
      // the layered split (nodejs/node_modules/…) uses the same entries
      const layered = await cache.assembleLayered(up.manifestId);
      await layered.code.zip();
      await layered.deps!.zip();
      assert.equal(count.by.build, 0);
      await cache.close();
    } finally {
      await h.close();
    }
  });
});

/** name → compression method from each central directory record. */
function centralMethods(zip: Uint8Array): Map<string, number> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out = new Map<string, number>();
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (v.getUint32(i, true) !== 0x02014b50) continue;
    const nameLen = v.getUint16(i + 28, true);
    out.set(strFromU8(zip.subarray(i + 46, i + 46 + nameLen)), v.getUint16(i + 10, true));
  }
  return out;
}

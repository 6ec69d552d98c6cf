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
import { createPackager } from './zip-pool.js';

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
      const size = await createPackager({ maxInFlightBytes: 64 * 1024 }).build([...entries].reverse(), read, out);
      const bytes = readFileSync(out);
      assert.equal(size, bytes.length);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(reference).digest('hex'));
      assert.equal(Object.keys(unzipSync(new Uint8Array(bytes))).length, entries.length);
      // a blob whose size differs from the manifest is refused, and the worker does not outlive the build
      await assert.rejects(createPackager().build([{ ...entries[0]!, size: 1 }], read, join(dir, 'bad.zip')), /has 10000 bytes, the manifest says 1/);
    } finally {
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
});

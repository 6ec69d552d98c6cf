import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHangarError, type ManifestEntry } from '@hangar/core';
import { createEngineClient } from '../engine-client.js';
import { startFakeEngine, type FakeEngine } from '../testing/fake-engine.js';
import { planBatches, uploadSource, type UploadOptions } from './upload.js';

const sha = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `n` small files (and any extra ones) served from memory, with every read counted. */
function files(n: number, extra: Record<string, string> = {}) {
  const content = new Map<string, string>(Array.from({ length: n }, (_, i) => [`node_modules/p${i % 40}/f${i}.js`, `module.exports = ${i};\n`]));
  for (const [p, c] of Object.entries(extra)) content.set(p, c);
  const entries: ManifestEntry[] = [...content].map(([path, c]) => ({ path, sha256: sha(c), size: Buffer.byteLength(c), mode: 0o644 }));
  const reads: string[] = [];
  const readFile = (abs: string) => {
    reads.push(abs);
    const c = content.get(abs.slice('/src/'.length));
    if (c === undefined) return readFileSync(abs); // not ours: fails as a missing file would
    return Buffer.from(c);
  };
  return { entries, reads, readFile, content };
}

function options(engine: FakeEngine, f: ReturnType<typeof files>, more: Partial<UploadOptions> = {}): UploadOptions {
  return { client: createEngineClient({ url: engine.url, token: engine.token }), orgId: engine.orgId, root: '/src', entries: f.entries, last: undefined, readFile: f.readFile, ...more };
}
const blobRequests = (engine: FakeEngine) => ({
  batches: engine.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/blobs')),
  puts: engine.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/')),
});

test('a first deploy of 1,200 files makes 3 batch requests (500 files each at most), not one request per file', async (t) => {
  const engine = await startFakeEngine();
  t.after(() => engine.close());
  const f = files(1200);
  const progress: string[] = [];
  const r = await uploadSource(options(engine, f, { onProgress: (x) => progress.push(x) }));
  const { batches, puts } = blobRequests(engine);
  assert.equal(batches.length, 3);
  assert.equal(puts.length, 0);
  assert.equal(r.uploadedFiles, 1200);
  assert.equal(r.uploadedBytes, f.entries.reduce((n, e) => n + e.size, 0));
  assert.equal(engine.blobs.size, 1200);
  for (const e of f.entries) assert.equal(engine.blobs.get(e.sha256)?.toString(), f.content.get(e.path));
  assert.ok(batches.every((b) => b.headers['content-type'] === 'application/vnd.hangar.blobs'));
  assert.equal(progress[0], 'uploading 1200 new files');
  assert.ok(progress.some((x) => /^uploaded \d+ of 1200 files$/.test(x)), progress.join('\n'));
});

test('a file as large as a batch goes alone by PUT; a batch stays under its byte budget', async (t) => {
  const engine = await startFakeEngine();
  t.after(() => engine.close());
  const big = 'b'.repeat(20_000);
  const f = files(30, { 'big.bin': big });
  const r = await uploadSource(options(engine, f, { batchBytes: 16 * 1024 }));
  const { batches, puts } = blobRequests(engine);
  assert.deepEqual(puts.map((p) => p.url.split('/').at(-1)), [sha(big)]);
  assert.equal(batches.length, 1);
  assert.ok(batches[0]!.body.length <= 16 * 1024);
  assert.equal(r.uploadedFiles, 31);
  // The plan on its own: the byte budget counts each frame's 36-byte header.
  const e = (size: number): ManifestEntry => ({ path: `f${size}`, sha256: 'a'.repeat(64), size, mode: 0o644 });
  const plan = planBatches([e(60), e(60), e(100), e(10), e(200)], 200, 3);
  assert.deepEqual(plan.batches.map((b) => b.map((x) => x.size)), [[60, 60], [100, 10]]);
  assert.deepEqual(plan.singles.map((x) => x.size), [200]);
});

test('an engine without POST /blobs (404) gets every file by PUT, and the upload succeeds', async (t) => {
  const engine = await startFakeEngine({ noBlobBatches: true });
  t.after(() => engine.close());
  const f = files(1200);
  const progress: string[] = [];
  const r = await uploadSource(options(engine, f, { onProgress: (x) => progress.push(x) }));
  const { batches, puts } = blobRequests(engine);
  assert.ok(batches.length >= 1 && batches.length <= 3, `at most the batches in flight were tried: ${batches.length}`);
  assert.equal(puts.length, 1200);
  assert.equal(new Set(puts.map((p) => p.url)).size, 1200, 'each file once');
  assert.equal(r.uploadedFiles, 1200);
  assert.equal(engine.blobs.size, 1200);
  assert.ok(progress.includes('the engine has no batch upload (POST /blobs); uploading one file per request'), progress.join('\n'));
});

test('a blob the engine refuses fails the upload with its code, naming the file', async (t) => {
  const engine = await startFakeEngine();
  t.after(() => engine.close());
  const f = files(10);
  const victim = f.entries[3]!;
  const readFile = (abs: string) => (abs.endsWith(victim.path) ? Buffer.from('changed since it was hashed') : f.readFile(abs));
  await assert.rejects(uploadSource(options(engine, f, { readFile })), (e: unknown) => {
    assert.ok(isHangarError(e));
    assert.equal(e.code, 'SOURCE_BLOB_HASH_MISMATCH');
    assert.ok(e.message.includes(victim.sha256) && e.message.includes(JSON.stringify(victim.path)), e.message);
    return true;
  });
});

test('bytes kept from the hash pass are sent without reading the files again; a lone file goes by PUT', async (t) => {
  const engine = await startFakeEngine();
  t.after(() => engine.close());
  const f = files(50);
  const kept = new Map(f.entries.map((e) => [e.sha256, Buffer.from(f.content.get(e.path)!)] as const));
  kept.delete(f.entries[0]!.sha256);
  await uploadSource(options(engine, f, { kept }));
  assert.deepEqual(f.reads, [join('/src', f.entries[0]!.path)], 'only the file whose bytes were not kept is read');
  assert.equal(engine.blobs.size, 50);
  // One new file: one PUT, no batch.
  const one = files(0, { 'one.js': 'one' });
  const before = engine.requests.length;
  await uploadSource(options(engine, one));
  const after = engine.requests.slice(before).filter((r) => r.url.includes('/blobs'));
  assert.deepEqual(after.map((r) => r.method), ['PUT']);
});

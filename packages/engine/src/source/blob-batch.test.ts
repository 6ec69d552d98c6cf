import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BLOB_BATCH_CONTENT_TYPE, encodeBlobBatch, type ManifestEntry } from '@hangar/core';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { testDatabases } from '../store/test-store.js';
import { blobBatchBodyLimit } from './routes.js';
import { listFsBlobs } from './blob-store.js';

const sha = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const entry = (path: string, content: string): ManifestEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content), mode: 0o644 });
const frame = (content: string, sha256 = sha(content)) => ({ sha256, bytes: Buffer.from(content) });
const limits = { maxFiles: 5, maxTotalBytes: 1000, maxFileBytes: 400 };

for (const db of testDatabases()) {
  describe(`POST /blobs: a batch of blobs (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    before(async () => { h = await createHarness({ kind: db.kind, start: false, limits }); });
    after(async () => { await h?.close(); });

    const manifest = async (org: string, entries: ManifestEntry[]) => {
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${org}/sources`, headers: h.as(org), payload: { kind: 'full', entries } });
      assert.equal(res.statusCode, 200, res.body);
      return res.json() as { missing: string[] };
    };
    const batch = (org: string, body: Buffer | undefined, headers: Record<string, string> = { 'content-type': BLOB_BATCH_CONTENT_TYPE }) =>
      h.app.inject({ method: 'POST', url: `/api/v1/orgs/${org}/blobs`, headers: { ...h.as(org), ...headers }, ...(body === undefined ? {} : { payload: body }) });
    const onDisk = (hash: string) => listFsBlobs(join(h.dataDir, 'blobs')).includes(hash);

    test('a good batch stores every blob, in one request, and the manifest then misses none', async () => {
      const files = ['exports.a = 1;', 'exports.b = 2;', ''];
      const entries = files.map((c, i) => entry(`f${i}.js`, c));
      assert.equal((await manifest(h.orgA, entries)).missing.length, 3);
      const res = await batch(h.orgA, encodeBlobBatch(files.map((c) => frame(c))));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), { stored: files.map((c) => sha(c)), refused: [] });
      assert.deepEqual((await manifest(h.orgA, entries)).missing, []);
      for (const c of files) assert.ok(onDisk(sha(c)));
      // Sent again (a retry): still stored, nothing refused.
      assert.deepEqual((await batch(h.orgA, encodeBlobBatch([frame(files[0]!)]))).json(), { stored: [sha(files[0]!)], refused: [] });
    });

    test('a blob whose bytes do not hash to its sha256 is refused and named; the rest of the batch is kept', async () => {
      const good = entry('good.js', 'good bytes');
      const real = entry('real.js', 'the real content');
      const liar = { ...entry('liar.js', 'twelve bytes'), size: 5 };
      await manifest(h.orgA, [good, real, liar]);
      const stray = sha('never declared');
      const res = await batch(h.orgA, encodeBlobBatch([frame('the evil content', real.sha256), frame('good bytes'), frame('twelve bytes'), frame('never declared')]));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { stored: string[]; refused: { sha256: string; code: string; message: string }[] };
      assert.deepEqual(body.stored, [good.sha256]);
      assert.deepEqual(body.refused.map((r) => [r.sha256, r.code]), [
        [real.sha256, 'SOURCE_BLOB_HASH_MISMATCH'],
        [liar.sha256, 'SOURCE_BLOB_HASH_MISMATCH'],
        [stray, 'SOURCE_BLOB_NOT_DECLARED'],
      ]);
      for (const r of body.refused) assert.ok(r.message.includes(r.sha256), `the message names the blob: ${r.message}`);
      assert.equal(onDisk(real.sha256), false, 'the tampered bytes were not kept');
      assert.deepEqual((await manifest(h.orgA, [good, real, liar])).missing.sort(), [real.sha256, liar.sha256].sort());
    });

    test('a body that ends inside a frame is VALIDATION_FAILED naming the offset; the frames before it were stored', async () => {
      const a = entry('a.js', 'aaaa');
      const b = entry('b.js', 'bbbbbbbbbb');
      await manifest(h.orgB, [a, b]);
      const whole = encodeBlobBatch([frame('aaaa'), frame('bbbbbbbbbb')]);
      const cut = whole.subarray(0, whole.length - 6);
      const res = await batch(h.orgB, cut);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'VALIDATION_FAILED');
      assert.match(res.json().message, /^body: the frame at offset 40 \(sha256 [0-9a-f]{64}\) declares 10 bytes, but the body ends after 4 of them; each frame is/);
      assert.deepEqual((await manifest(h.orgB, [a, b])).missing, [b.sha256]);
      // Inside a header: 40 bytes of a good frame, then 20 of the next header.
      const half = await batch(h.orgB, whole.subarray(0, 60));
      assert.equal(half.statusCode, 400);
      assert.match(half.json().message, /^body: the frame at offset 40 has 20 of its 36 header bytes, then the body ends/);
    });

    test('an empty batch, with or without a body, stores nothing and refuses nothing', async () => {
      for (const body of [Buffer.alloc(0), undefined]) {
        const res = await batch(h.orgA, body, body === undefined ? {} : { 'content-type': BLOB_BATCH_CONTENT_TYPE });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), { stored: [], refused: [] });
      }
    });

    test('a blob over limits.maxFileBytes is refused unread, named; a batch over the body limit is 413', async () => {
      const small = entry('small.js', 'small');
      await manifest(h.orgA, [small]);
      const big = 'x'.repeat(limits.maxFileBytes + 1);
      const res = await batch(h.orgA, encodeBlobBatch([frame(big), frame('small')]));
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as { stored: string[]; refused: { sha256: string; code: string; message: string }[] };
      assert.deepEqual(body.stored, [small.sha256]);
      assert.deepEqual(body.refused.map((r) => [r.sha256, r.code]), [[sha(big), 'SOURCE_LIMIT_EXCEEDED']]);
      assert.match(body.refused[0]!.message, /is 401 bytes; the engine accepts files up to 400 bytes \(limits\.maxFileBytes\)/);
      const limit = blobBatchBodyLimit(limits);
      const over = encodeBlobBatch([frame('y'.repeat(300)), frame('z'.repeat(300)), frame('w'.repeat(limit - 3 * 36 - 600 + 1))]);
      assert.equal(over.length, limit + 1);
      const tooBig = await batch(h.orgA, over);
      assert.equal(tooBig.statusCode, 413, tooBig.body);
      assert.equal(tooBig.json().code, 'PAYLOAD_TOO_LARGE');
    });

    test('JSON, or another content type, is refused naming the expected framing; a viewer may not upload', async () => {
      const json = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/blobs`, headers: h.as(h.orgA), payload: { blobs: [] } });
      assert.equal(json.statusCode, 400, json.body);
      assert.equal(json.json().code, 'VALIDATION_FAILED');
      assert.match(json.json().message, /^body: expected blob frames with content-type application\/vnd\.hangar\.blobs \(got "application\/json"\)/);
      const viewer = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/blobs`, headers: { ...h.as(h.orgA, 'viewer'), 'content-type': BLOB_BATCH_CONTENT_TYPE }, payload: encodeBlobBatch([frame('small')]) });
      assert.equal(viewer.statusCode, 403);
    });
  });
}

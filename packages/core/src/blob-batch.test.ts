import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encodeBlobBatch, readBlobFrames, type BlobFrame } from './blob-batch.js';
import { isHangarError } from './errors.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const blobs = ['', 'a', 'hello world', 'x'.repeat(1000)].map((s) => ({ sha256: sha(Buffer.from(s)), bytes: Buffer.from(s) }));

async function* pieces(body: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}
async function read(body: Buffer, size: number, limits = { maxBlobBytes: 1 << 20, maxBodyBytes: 1 << 20 }): Promise<BlobFrame[]> {
  const out: BlobFrame[] = [];
  for await (const f of readBlobFrames(pieces(body, size), limits)) out.push(f);
  return out;
}

test('frames read back the same whatever the chunk boundaries (headers and blobs split anywhere)', async () => {
  const body = encodeBlobBatch(blobs);
  assert.equal(body.length, blobs.reduce((n, b) => n + 36 + b.bytes.length, 0));
  for (const size of [1, 7, 36, 37, 4096]) {
    const frames = await read(body, size);
    assert.deepEqual(frames.map((f) => f.sha256), blobs.map((b) => b.sha256), `chunks of ${size}`);
    assert.deepEqual(frames.map((f) => (f.kind === 'blob' ? Buffer.from(f.bytes).toString() : '')), blobs.map((b) => b.bytes.toString()), `chunks of ${size}`);
    assert.deepEqual(frames.map((f) => f.offset), [0, 36, 73, 120]);
  }
});

test('a frame over maxBlobBytes is skipped, not held, and reported with its size; the next one is read', async () => {
  const frames = await read(encodeBlobBatch(blobs), 5, { maxBlobBytes: 100, maxBodyBytes: 1 << 20 });
  assert.deepEqual(frames.map((f) => f.kind), ['blob', 'blob', 'blob', 'oversize']);
  const last = frames[3]!;
  assert.ok(last.kind === 'oversize' && last.size === 1000 && last.sha256 === blobs[3]!.sha256);
});

test('a body that ends inside a frame, or is over maxBodyBytes, is refused with the offset or the limit', async () => {
  const body = encodeBlobBatch(blobs);
  await assert.rejects(read(body.subarray(0, body.length - 1), 64), (e: unknown) => isHangarError(e) && e.code === 'VALIDATION_FAILED' && /offset 120 .* declares 1000 bytes, but the body ends after 999/.test(e.message));
  await assert.rejects(read(body.subarray(0, 40), 64), (e: unknown) => isHangarError(e) && e.code === 'VALIDATION_FAILED' && /offset 36 has 4 of its 36 header bytes/.test(e.message));
  await assert.rejects(read(body, 64, { maxBlobBytes: 1 << 20, maxBodyBytes: body.length - 1 }), (e: unknown) => isHangarError(e) && e.code === 'PAYLOAD_TOO_LARGE');
  assert.deepEqual(await read(Buffer.alloc(0), 64), []);
});

test('encodeBlobBatch refuses a hash that is not 64 hex characters', () => {
  for (const bad of ['a'.repeat(63), 'g'.repeat(64), `${'a'.repeat(62)}zz`]) assert.throws(() => encodeBlobBatch([{ sha256: bad, bytes: Buffer.from('x') }]), /not a sha256/);
});

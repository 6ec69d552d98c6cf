import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { createFsBlobStore, isBlobMissing, listFsBlobs, MISSING_SLICE, WRITER_MIN_BLOBS, type BlobStore } from './blob-store.js';
import { SMALL_BLOB_BYTES, SMALL_BLOBS_FILE } from './small-blobs.js';
import { createS3BlobStore, parseS3BlobUrl } from './s3-blob-store.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** A stream that gives `first`, then waits for `release()` before giving `rest` (or failing). */
function gatedStream(first: Buffer, rest: Buffer) {
  let release!: (ok: boolean) => void;
  const gate = new Promise<boolean>((r) => { release = r; });
  async function* gen() {
    yield first;
    if (!(await gate)) throw new Error('the client went away');
    yield rest;
  }
  return { stream: Readable.from(gen()), release };
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The same contract for every store: what source-cache and packaging rely on. */
function contract(name: string, open: () => BlobStore, extra?: (store: () => BlobStore) => void): void {
  describe(name, () => {
    let store: BlobStore;
    before(() => { store = open(); });

    test('put then has, get and stream give the bytes; putting again is a no-op', async () => {
      const bytes = randomBytes(1000);
      const h = sha(bytes);
      assert.equal(await store.has(h), false);
      await store.put(h, bytes);
      await store.put(h, bytes);
      assert.equal(await store.has(h), true);
      assert.deepEqual(Buffer.from(await store.get(h)), bytes);
      assert.deepEqual(await collect(store.stream(h)), bytes);
    });

    test('an empty blob is a blob', async () => {
      const h = sha(new Uint8Array(0));
      await store.put(h, new Uint8Array(0));
      assert.equal((await store.get(h)).length, 0);
    });

    test('missing: one call for many hashes, answering only those not held, each once', async () => {
      const held = Array.from({ length: 40 }, () => randomBytes(64));
      for (const b of held) await store.put(sha(b), b);
      const absent = Array.from({ length: 25 }, () => sha(randomBytes(64)));
      const asked = [...held.map(sha), ...absent, absent[0]!];
      assert.deepEqual(await store.missing(asked), absent);
      assert.deepEqual(await store.missing([]), []);
    });

    test('get and stream of a blob never stored fail with the store\'s "missing" error', async () => {
      const h = sha(randomBytes(16));
      await assert.rejects(store.get(h), (e) => isBlobMissing(e) && e.sha256 === h);
      await assert.rejects(collect(store.stream(h)), (e) => isBlobMissing(e));
    });

    test('a streamed put of several MiB is not visible until it is complete', async () => {
      const first = randomBytes(6 * MiB);
      const rest = randomBytes(MiB + 17);
      const whole = Buffer.concat([first, rest]);
      const h = sha(whole);
      const { stream, release } = gatedStream(first, rest);
      const putting = store.put(h, stream);
      // The first part is on its way (a multipart part on S3, a temp file on disk): nobody sees it.
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(await store.has(h), false);
      await assert.rejects(store.get(h), isBlobMissing);
      release(true);
      await putting;
      assert.deepEqual(Buffer.from(await store.get(h)), whole);
    });

    test('a put whose stream fails leaves nothing behind', async () => {
      const first = randomBytes(6 * MiB);
      const h = sha(randomBytes(32));
      const { stream, release } = gatedStream(first, Buffer.alloc(10));
      const putting = store.put(h, stream);
      release(false);
      await assert.rejects(putting);
      assert.equal(await store.has(h), false);
      await assert.rejects(store.get(h), isBlobMissing);
    });

    test('putMany: a group of small and large blobs, every one then held and read back; again is a no-op; a delete removes either kind', async () => {
      const group = [
        ...Array.from({ length: WRITER_MIN_BLOBS + 4 }, (_, i) => randomBytes(100 + i * 997)),
        randomBytes(SMALL_BLOB_BYTES), randomBytes(SMALL_BLOB_BYTES + 1), randomBytes(MiB), new Uint8Array(0),
      ].map((bytes) => ({ sha256: sha(bytes), bytes }));
      await store.putMany(group);
      await store.putMany(group);
      assert.deepEqual(await store.missing(group.map((b) => b.sha256)), []);
      for (const b of group) {
        assert.deepEqual(Buffer.from(await store.get(b.sha256)), Buffer.from(b.bytes));
        assert.deepEqual(await collect(store.stream(b.sha256)), Buffer.from(b.bytes));
      }
      const [small, , , , large] = group.slice(-5);
      for (const b of [small!, large!]) {
        await store.delete(b.sha256);
        assert.equal(await store.has(b.sha256), false);
        await assert.rejects(store.get(b.sha256), isBlobMissing);
      }
      await assert.rejects(store.putMany([{ sha256: 'nope', bytes: new Uint8Array(1) }]), /not a sha256/);
    });

    test('refuses a key that is not a sha256', async () => {
      await assert.rejects(store.put('../../etc/passwd', new Uint8Array(1)), /not a sha256/);
    });
    extra?.(() => store);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hangar-blobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
contract('filesystem blob store', () => createFsBlobStore(dir), (store) => {
  test('small blobs are rows of one SQLite file, large ones files; a group goes through the writer thread in one answer', async () => {
    const own = join(dir, 'layout');
    const fsStore = createFsBlobStore(own);
    const group = Array.from({ length: WRITER_MIN_BLOBS * 3 }, (_, i) => randomBytes(i === 0 ? SMALL_BLOB_BYTES + 1 : 200)).map((bytes) => ({ sha256: sha(bytes), bytes }));
    await fsStore.putMany(group);
    const fileOf = (h: string) => join(own, h.slice(0, 2), h.slice(2, 4), h);
    assert.ok(existsSync(fileOf(group[0]!.sha256)), 'the large blob is a file');
    for (const b of group.slice(1)) assert.equal(existsSync(fileOf(b.sha256)), false, 'a small blob is not a file');
    assert.deepEqual(readdirSync(own).filter((n) => n.endsWith('.sqlite')), [SMALL_BLOBS_FILE]);
    assert.deepEqual(listFsBlobs(own).sort(), group.map((b) => b.sha256).sort());
    // Another handle on the same folder (another engine process on a shared data dir) sees them all.
    assert.deepEqual(await createFsBlobStore(own).missing(group.map((b) => b.sha256)), []);
  });

  test('a group the writer thread cannot store rejects, naming a blob and the cause', async () => {
    const notADir = join(dir, 'not-a-folder');
    writeFileSync(notADir, 'a file where the store would be');
    const group = Array.from({ length: WRITER_MIN_BLOBS }, () => randomBytes(50)).map((bytes) => ({ sha256: sha(bytes), bytes }));
    await assert.rejects(createFsBlobStore(join(notADir, 'blobs')).putMany(group), (e: NodeJS.ErrnoException) => {
      assert.match(e.message, /8 blob\(s\) could not be stored in .*not-a-folder/);
      assert.equal(e.code, 'ENOTDIR');
      return true;
    });
  });

  test('a small blob stored as a file by an earlier version is still found, read, streamed and deleted', async () => {
    const own = join(dir, 'earlier');
    const bytes = randomBytes(300);
    const h = sha(bytes);
    mkdirSync(join(own, h.slice(0, 2), h.slice(2, 4)), { recursive: true });
    writeFileSync(join(own, h.slice(0, 2), h.slice(2, 4), h), bytes);
    const old = createFsBlobStore(own);
    assert.equal(await old.has(h), true);
    assert.deepEqual(await old.missing([h]), []);
    assert.deepEqual(Buffer.from(await old.get(h)), bytes);
    assert.deepEqual(await collect(old.stream(h)), bytes);
    await old.delete(h);
    assert.equal(await old.has(h), false);
  });

  test('missing checks a long list in slices, letting the event loop run between them', async () => {
    const held = randomBytes(64);
    await store().put(sha(held), held);
    const absent = Array.from({ length: MISSING_SLICE * 3 }, (_, i) => sha(Buffer.from(`absent ${i}`)));
    const asked = [...absent.slice(0, MISSING_SLICE), sha(held), ...absent.slice(MISSING_SLICE)];
    let turns = 0;
    let ticking = true;
    const tick = () => { if (ticking) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    const missing = await store().missing(asked);
    ticking = false;
    assert.deepEqual(missing, absent);
    // 769 hashes: 4 slices, so at least 3 turns of the loop ran while they were checked.
    assert.ok(turns >= 3, `the event loop turned ${turns} times`);
    // A path that is not a blob (a folder, a name that is not a sha256) is not held.
    assert.equal(await store().has('x'), false);
  });
});

let cloud: LocalCloud;
let client: S3Client;
const bucket = 'hangar-blobs-test';
before(async () => {
  cloud = await startLocalCloud({ port: 0, log: () => {} });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  client = new S3Client({ endpoint: cloud.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});
after(() => cloud?.stop());

contract('S3 blob store (local cloud)', () => createS3BlobStore({ client, bucket, prefix: 'engine/', partBytes: 5 * MiB }), (store) => {
  test('S3 itself refuses bytes that do not hash to the key (x-amz-checksum-sha256)', async () => {
    const h = sha(randomBytes(10));
    await assert.rejects(store().put(h, randomBytes(10)), (e: Error) => /BadDigest|InvalidRequest|checksum/i.test(`${e.name} ${e.message}`));
    assert.equal(await store().has(h), false);
  });
  test('a failed multipart upload is aborted, not left as parts', async () => {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.equal(uploads.Uploads?.length ?? 0, 0);
  });
});

test('parseS3BlobUrl: bucket and prefix, or undefined for what is not an s3:// URL with a valid bucket', () => {
  assert.deepEqual(parseS3BlobUrl('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
  assert.deepEqual(parseS3BlobUrl('s3://my-bucket/'), { bucket: 'my-bucket', prefix: '' });
  assert.deepEqual(parseS3BlobUrl('s3://my.bucket/hangar/prod/'), { bucket: 'my.bucket', prefix: 'hangar/prod/' });
  for (const bad of ['https://my-bucket/x', 's3://', 's3://My_Bucket', 's3://ab', 's3://a..b', 's3://bucket//x', 's3://bucket/../x', 'my-bucket']) {
    assert.equal(parseS3BlobUrl(bad), undefined, bad);
  }
});

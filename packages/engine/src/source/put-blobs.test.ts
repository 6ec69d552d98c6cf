import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { ManifestEntry } from '@hangar/core';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { testDatabases } from '../store/test-store.js';
import { createFsBlobStore, listFsBlobs, type BlobStore } from './blob-store.js';
import { SMALL_BLOB_BYTES } from './small-blobs.js';
import { createSourceCache, SQL_SLICE, type SourceCache } from './source-cache.js';

const sha = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const entry = (path: string, content: string): ManifestEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content), mode: 0o644 });
const bytes = (s: string) => new TextEncoder().encode(s);

/** Counts the queries run through it, by kind (SelectQueryNode, UpdateQueryNode, …). */
function queryCounter(): KyselyPlugin & { by: Map<string, number>; reset(): void } {
  const by = new Map<string, number>();
  return {
    by,
    reset: () => by.clear(),
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      by.set(args.node.kind, (by.get(args.node.kind) ?? 0) + 1);
      return args.node;
    },
    transformResult: async (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> => args.result,
  };
}

for (const db of testDatabases()) {
  describe(`putBlobs: a group of blobs with one SELECT and one UPDATE (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    let cache: SourceCache;
    let store: BlobStore & { puts: number };
    const count = queryCounter();
    before(async () => {
      h = await createHarness({ kind: db.kind, start: false });
      const fs = createFsBlobStore(join(h.dataDir, 'own-blobs'));
      store = { ...fs, puts: 0, put(s, b) { store.puts++; return fs.put(s, b); }, putMany(bs) { store.puts += bs.length; return fs.putMany(bs); } };
      cache = createSourceCache({
        db: h.store.db.withPlugin(count), blobs: store, clock: { now: () => new Date() }, packagesDir: join(h.dataDir, 'own-packages'),
        limits: { maxFiles: 2000, maxTotalBytes: 10 * 1024 * 1024, maxFileBytes: 1024 * 1024, maxManifestEntries: 2000 },
      });
    });
    after(async () => { await cache?.close(); await h?.close(); });
    const onDisk = (hash: string) => listFsBlobs(join(h.dataDir, 'own-blobs')).includes(hash);

    test('a batch of SQL_SLICE is stored with one SELECT and one UPDATE; a retry writes nothing and updates nothing', async () => {
      const files = Array.from({ length: SQL_SLICE }, (_, i) => `module.exports = ${i};`);
      const up = await cache.upload(h.orgA, { kind: 'full', entries: files.map((c, i) => entry(`f${i}.js`, c)) });
      assert.equal(up.missing.length, SQL_SLICE);
      count.reset();
      store.puts = 0;
      const out = await cache.putBlobs(h.orgA, files.map((c) => ({ sha256: sha(c), bytes: bytes(c) })));
      assert.deepEqual(out.map((o) => o.refused), files.map(() => undefined));
      assert.deepEqual([...count.by], [['SelectQueryNode', 1], ['UpdateQueryNode', 1]]);
      assert.equal(store.puts, SQL_SLICE);
      for (const c of files) assert.ok(onDisk(sha(c)));
      assert.deepEqual((await cache.upload(h.orgA, { kind: 'full', entries: files.map((c, i) => entry(`f${i}.js`, c)) })).missing, []);
      // Again (a retry): one SELECT, the rows already say stored, the blobs are there.
      count.reset();
      store.puts = 0;
      await cache.putBlobs(h.orgA, files.map((c) => ({ sha256: sha(c), bytes: bytes(c) })));
      assert.deepEqual([...count.by], [['SelectQueryNode', 1]]);
      assert.equal(store.puts, 0);
    });

    test('more than SQL_SLICE blobs: one SELECT and one UPDATE per SQL_SLICE', async () => {
      const files = Array.from({ length: 2 * SQL_SLICE + 1 }, (_, i) => `exports.n = ${i};`);
      await cache.upload(h.orgB, { kind: 'full', entries: files.map((c, i) => entry(`g${i}.js`, c)) });
      count.reset();
      const out = await cache.putBlobs(h.orgB, files.map((c) => ({ sha256: sha(c), bytes: bytes(c) })));
      assert.equal(out.filter((o) => !o.refused).length, 2 * SQL_SLICE + 1);
      assert.deepEqual([...count.by], [['SelectQueryNode', 3], ['UpdateQueryNode', 3]]);
    });

    test('bad blobs are refused one by one with putBlob\'s codes; the good ones of the same batch are kept', async () => {
      const good = entry('good.js', 'good bytes');
      const real = entry('real.js', 'the real content');
      const liar = { ...entry('liar.js', 'twelve bytes'), size: 5 };
      await cache.upload(h.orgA, { kind: 'full', entries: [good, real, liar] });
      count.reset();
      const out = await cache.putBlobs(h.orgA, [
        { sha256: real.sha256, bytes: bytes('the evil content') },
        { sha256: good.sha256, bytes: bytes('good bytes') },
        { sha256: liar.sha256, bytes: bytes('twelve bytes') },
        { sha256: sha('never declared'), bytes: bytes('never declared') },
        { sha256: 'NOT-A-HASH', bytes: bytes('x') },
        { sha256: good.sha256, bytes: bytes('good bytes') },
      ]);
      assert.deepEqual(out.map((o) => o.refused?.code), ['SOURCE_BLOB_HASH_MISMATCH', undefined, 'SOURCE_BLOB_HASH_MISMATCH', 'SOURCE_BLOB_NOT_DECLARED', 'VALIDATION_FAILED', undefined]);
      assert.deepEqual([...count.by], [['SelectQueryNode', 1], ['UpdateQueryNode', 1]]);
      assert.equal(onDisk(real.sha256), false, 'the tampered bytes were not kept');
      assert.ok(onDisk(good.sha256));
      // putBlob throws the same error the batch reports
      await assert.rejects(cache.putBlob(h.orgA, real.sha256, bytes('the evil content')), { code: 'SOURCE_BLOB_HASH_MISMATCH' });
      // A bad copy in a batch does not spoil a good copy of the same hash.
      const mixed = await cache.putBlobs(h.orgA, [{ sha256: real.sha256, bytes: bytes('evil') }, { sha256: real.sha256, bytes: bytes('the real content') }]);
      assert.deepEqual(mixed.map((o) => o.refused?.code), ['SOURCE_BLOB_HASH_MISMATCH', undefined]);
      assert.ok(onDisk(real.sha256));
    });

    test('a blob removed behind the engine\'s back after it was compressed on arrival: the build is refused SOURCE_BLOBS_MISSING and nothing is kept', async () => {
      const files = ['exports.kept = 1;', 'exports.removed = 2;'];
      const entries = files.map((c, i) => entry(`h${i}.js`, c));
      const up = await cache.upload(h.orgA, { kind: 'full', entries });
      await cache.putBlobs(h.orgA, files.map((c) => ({ sha256: sha(c), bytes: bytes(c) })));
      await cache.idle(); // both compressed in the background: the build need not read the blobs
      const gone = sha(files[1]!);
      await createFsBlobStore(join(h.dataDir, 'own-blobs')).delete(gone); // another handle on the same store: not this cache's doing
      await assert.rejects(cache.assembleZip(up.manifestId), (e: { code?: string; details?: { missing?: string[] } }) => {
        assert.equal(e.code, 'SOURCE_BLOBS_MISSING');
        assert.deepEqual(e.details?.missing, [gone]);
        return true;
      });
      assert.deepEqual(readdirSync(join(h.dataDir, 'own-packages')).filter((f) => f.endsWith('.zip') || f.endsWith('.tmp')), []);
    });

    test('a blob folder removed behind the store\'s back is made again on the next write', async () => {
      const big = 'x'.repeat(SMALL_BLOB_BYTES + 1); // a file, not a row
      const a = entry('a.js', big);
      await cache.upload(h.orgA, { kind: 'full', entries: [a] });
      await cache.putBlobs(h.orgA, [{ sha256: a.sha256, bytes: bytes(big) }]);
      rmSync(join(h.dataDir, 'own-blobs', a.sha256.slice(0, 2)), { recursive: true, force: true });
      assert.equal(onDisk(a.sha256), false);
      await store.put(a.sha256, bytes(big));
      assert.ok(onDisk(a.sha256));
    });
  });
}

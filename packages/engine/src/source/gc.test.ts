import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ManifestEntry } from '@hangar/core';
import SqliteDatabase from 'better-sqlite3';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { createFsBlobStore } from './blob-store.js';
import { SMALL_BLOBS_FILE } from './small-blobs.js';
import { collectSourceGarbage } from './gc.js';
import { entryPath } from './zip-pool.js';

const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const entry = (path: string, content: string): ManifestEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content), mode: 0o644 });

describe('source cache garbage collection', () => {
  let h: Harness;
  before(async () => { h = await createHarness({ start: false }); });
  after(async () => { await h?.close(); });

  test('removes only blobs, packages and entries no kept manifest refers to: the last N deployments of each instance, and recent uploads', async () => {
    const src = h.feature.source;
    const upload = async (files: Record<string, string>) => {
      const entries = Object.entries(files).map(([p, c]) => entry(p, c));
      const up = await src.upload(h.orgA, { kind: 'full', entries });
      for (const c of Object.values(files)) await src.putBlob(h.orgA, sha(c), new TextEncoder().encode(c));
      await src.assembleZip(up.manifestId);
      return up.manifestId;
    };
    const shared = 'shared library';
    const m1 = await upload({ 'index.js': 'v1', 'lib.js': shared });
    const m2 = await upload({ 'index.js': 'v2', 'lib.js': shared });
    const m3 = await upload({ 'index.js': 'v3', 'lib.js': shared });
    const orphan = await upload({ 'orphan.js': 'never deployed' });
    // The entry files are written once the packager's worker has had nothing to compress for a moment.
    await src.idle();
    // Deployments of one instance: m1, m2, m3 in that order (only the last 2 are kept).
    const now = new Date().toISOString();
    await h.store.db.insertInto('apps').values({ id: 'app_1', org_id: h.orgA, name: 'shop', created_at: now }).execute();
    await h.store.db.insertInto('instances').values({ id: 'ins_1', org_id: h.orgA, app_id: 'app_1', stage: 'dev', name: 'api', component: 'fake', status: 'deployed', inputs: '{}', outputs: '{}', state: '{}', last_deployment_id: null, updated_at: now }).execute();
    for (const [i, m] of [m1, m2, m3].entries()) {
      await h.store.db.insertInto('deployments').values({
        id: `dep_${i}`, org_id: h.orgA, app_id: 'app_1', instance_id: 'ins_1', stage: 'dev', component: 'fake', action: 'deploy', status: 'succeeded',
        actor: 'token:ci', actor_ref: '{}', manifest_id: m, inputs: '{}', provider_id: null, provider_name: null, role_arn: null, outputs: '{}',
        error_code: null, error_message: null, aws_code: null, aws_request_id: null, created_at: now, started_at: now, finished_at: now, heartbeat_at: null,
      }).execute();
    }
    const blobs = createFsBlobStore(join(h.dataDir, 'blobs'));
    const packagesDir = join(h.dataDir, 'packages');
    const entryFiles = () => readdirSync(join(packagesDir, 'entries'), { recursive: true }).map(String).filter((f) => f.includes('.'));

    // Within the grace period nothing goes, not even the never-deployed upload.
    const none = await collectSourceGarbage({ db: h.store.db, blobs, clock: { now: () => new Date() }, packagesDir, retainDeployments: 2 });
    assert.deepEqual(none, { manifests: 0, blobs: 0, packages: 0, entries: 0 });

    // A kept blob's entry made by another deflate (fflate, before zlib; another zlib version) is never read again: it goes.
    const stale = entryPath(join(packagesDir, 'entries'), `${sha('v2')}.fflate-d6`);
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, 'old');
    const later = { now: () => new Date(Date.now() + 25 * 3600_000) };
    const r = await collectSourceGarbage({ db: h.store.db, blobs, clock: later, packagesDir, retainDeployments: 2 });
    assert.equal(r.manifests, 2, 'm1 and the orphan');
    assert.equal(r.blobs, 2, "m1's v1 and the orphan's file; the shared library stays");
    assert.equal(r.packages, 2);
    assert.equal(r.entries, 3, "m1's and the orphan's entries, and v2's stale one");
    assert.ok(!existsSync(stale));
    for (const gone of ['v1', 'never deployed']) assert.equal(await blobs.has(sha(gone)), false, gone);
    for (const kept of ['v2', 'v3', shared]) assert.equal(await blobs.has(sha(kept)), true, kept);
    assert.ok(!existsSync(join(packagesDir, `${m1}.zip`)) && !existsSync(join(packagesDir, `${orphan}.zip`)));
    assert.ok(existsSync(join(packagesDir, `${m2}.zip`)) && existsSync(join(packagesDir, `${m3}.zip`)));
    assert.deepEqual(entryFiles().map((f) => f.split('/').at(-1)!.slice(0, 64)).sort(), [sha('v2'), sha('v3'), sha(shared)].sort());
    const manifests = (await h.store.db.selectFrom('manifests').select('id').execute()).map((m) => m.id).sort();
    assert.deepEqual(manifests, [m2, m3].sort());
    // What is kept still deploys: its package is served, and a second run removes nothing more.
    assert.ok((await h.feature.source.assembleZip(m3)).length > 0);
    assert.deepEqual(await collectSourceGarbage({ db: h.store.db, blobs, clock: later, packagesDir, retainDeployments: 2 }), { manifests: 0, blobs: 0, packages: 0, entries: 0 });
  });

  test('the small-blob file gives the pages of collected blobs back', async () => {
    const src = h.feature.source;
    const files = Array.from({ length: 60 }, (_, i) => `${'gc-shrink '.repeat(2000)}${i}`);
    await src.upload(h.orgA, { kind: 'full', entries: files.map((c, i) => entry(`big/f${i}.js`, c)) });
    for (const c of files) await src.putBlob(h.orgA, sha(c), new TextEncoder().encode(c));
    await src.idle();
    const file = join(h.dataDir, 'blobs', SMALL_BLOBS_FILE);
    // page_count through a connection of its own: the committed state, WAL frames included.
    const pages = () => {
      const db = new SqliteDatabase(file, { readonly: true });
      try { return db.pragma('page_count', { simple: true }) as number; } finally { db.close(); }
    };
    const before = pages();
    const blobs = createFsBlobStore(join(h.dataDir, 'blobs'));
    const later = { now: () => new Date(Date.now() + 25 * 3600_000) };
    const r = await collectSourceGarbage({ db: h.store.db, blobs, clock: later, packagesDir: join(h.dataDir, 'packages'), retainDeployments: 2 });
    assert.ok(r.blobs >= 60, `collected ${r.blobs}`);
    for (const c of files) assert.equal(await blobs.has(sha(c)), false);
    const after = pages();
    // 60 blobs of 20 KB: about 300 pages of 4 KB.
    assert.ok(before - after >= 250, `pages ${before} -> ${after}`);
  });
});

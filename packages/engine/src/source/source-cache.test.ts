import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { manifestId, type ManifestEntry } from '@hangar/core';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { testDatabases } from '../store/test-store.js';
import { listFsBlobs } from './blob-store.js';

const sha = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const entry = (path: string, content: string, mode = 0o644): ManifestEntry => ({ path, sha256: sha(content), size: Buffer.byteLength(content), mode });

/** Records the hashes of every org_blobs SELECT the store runs, one array per query, until restored. */
function spyOrgBlobQueries(h: Harness, asked: unknown[]): { restore(): void } {
  const executor = h.store.db.getExecutor() as unknown as { executeQuery: (q: { sql: string; parameters: readonly unknown[] }, ...rest: unknown[]) => Promise<unknown> };
  const original = executor.executeQuery;
  executor.executeQuery = function (q, ...rest) {
    if (/^select .* from "org_blobs"/.test(q.sql)) asked.push(q.parameters.filter((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)));
    return original.call(this, q, ...rest);
  };
  return { restore: () => { executor.executeQuery = original; } };
}

for (const db of testDatabases()) {
  describe(`source cache (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    before(async () => { h = await createHarness({ kind: db.kind, start: false, limits: { maxFiles: 5, maxTotalBytes: 1000, maxFileBytes: 400 } }); });
    after(async () => { await h?.close(); });

    const post = (org: string, body: unknown) => h.app.inject({ method: 'POST', url: `/api/v1/orgs/${org}/sources`, headers: h.as(org), payload: body as object });
    const put = (org: string, hash: string, bytes: string | Buffer) =>
      h.app.inject({ method: 'PUT', url: `/api/v1/orgs/${org}/blobs/${hash}`, headers: { ...h.as(org), 'content-type': 'application/octet-stream' }, payload: Buffer.from(bytes) });

    const files = { 'index.js': 'exports.handler = async () => "v1";', 'lib/util.js': 'module.exports = 1;', 'bin/run': '#!/bin/sh\necho hi\n' };
    const entries = [entry('index.js', files['index.js']), entry('lib/util.js', files['lib/util.js']), entry('bin/run', files['bin/run'], 0o755)];

    test('full manifest: every hash missing, uploads verified, then nothing missing', async () => {
      const res = await post(h.orgA, { kind: 'full', entries });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.manifestId, manifestId(entries));
      assert.deepEqual([...body.missing].sort(), entries.map((e) => e.sha256).sort());
      assert.equal(body.files, 3);
      assert.equal(body.bytes, entries.reduce((n, e) => n + e.size, 0));
      for (const [p, c] of Object.entries(files)) assert.equal((await put(h.orgA, sha(c), c)).statusCode, 204, p);
      const again = (await post(h.orgA, { kind: 'full', entries })).json();
      assert.deepEqual(again.missing, []);
    });

    test('a one-file change as a delta reports only that hash missing', async () => {
      const base = manifestId(entries);
      const changed = entry('index.js', 'exports.handler = async () => "v2";');
      const next = [changed, ...entries.slice(1)];
      const res = await post(h.orgA, { kind: 'delta', base, put: [changed], delete: [], manifestId: manifestId(next) });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().missing, [changed.sha256]);
      assert.equal(res.json().manifestId, manifestId(next));
      // nothing changed: same id, nothing missing, the totals of the base
      const noop = (await post(h.orgA, { kind: 'delta', base, put: [], delete: [], manifestId: base })).json();
      assert.deepEqual(noop, { manifestId: base, missing: [], files: 3, bytes: entries.reduce((n, e) => n + e.size, 0) });
      // a delta on top of a delta
      const twice = entry('lib/util.js', 'module.exports = 2;');
      const next2 = [changed, twice, entries[2]!];
      const chained = await post(h.orgA, { kind: 'delta', base: manifestId(next), put: [twice], delete: [], manifestId: manifestId(next2) });
      assert.equal(chained.statusCode, 200, chained.body);
      assert.deepEqual(chained.json().missing.sort(), [changed.sha256, twice.sha256].sort(), 'the base\'s own unuploaded file is still reported');
      // a delta that deletes a file
      const fewer = entries.filter((e) => e.path !== 'lib/util.js');
      const del = await post(h.orgA, { kind: 'delta', base, put: [], delete: ['lib/util.js'], manifestId: manifestId(fewer) });
      assert.equal(del.statusCode, 200, del.body);
      assert.deepEqual(del.json().missing, []);
      assert.equal(del.json().files, 2);
    });

    test('a delta against a base the org does not hold is 409 SOURCE_BASE_UNKNOWN', async () => {
      const res = await post(h.orgA, { kind: 'delta', base: 'a'.repeat(64), put: [], delete: [], manifestId: 'b'.repeat(64) });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().code, 'SOURCE_BASE_UNKNOWN');
      // org B cannot build on org A's manifest either
      const other = await post(h.orgB, { kind: 'delta', base: manifestId(entries), put: [], delete: [], manifestId: manifestId(entries) });
      assert.equal(other.statusCode, 409);
      assert.equal(other.json().code, 'SOURCE_BASE_UNKNOWN');
    });

    test('a delta whose result differs from the id the client computed is refused', async () => {
      const res = await post(h.orgA, { kind: 'delta', base: manifestId(entries), put: [entry('x.js', 'x')], delete: [], manifestId: manifestId(entries) });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json().code, 'SOURCE_MANIFEST_MISMATCH');
    });

    test('a tampered blob is refused and not stored; so is one of the wrong size', async () => {
      const e = entry('new.js', 'the real content');
      await post(h.orgA, { kind: 'full', entries: [e] });
      const bad = await put(h.orgA, e.sha256, 'the evil content');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().code, 'SOURCE_BLOB_HASH_MISMATCH');
      assert.equal(listFsBlobs(join(h.dataDir, 'blobs')).includes(e.sha256), false);
      assert.deepEqual((await post(h.orgA, { kind: 'full', entries: [e] })).json().missing, [e.sha256]);
      // Declared size differs from the real one: refused even though the hash is right.
      const liar = { ...entry('liar.js', 'twelve bytes'), size: 5 };
      await post(h.orgA, { kind: 'full', entries: [liar] });
      const r = await put(h.orgA, liar.sha256, 'twelve bytes');
      assert.equal(r.json().code, 'SOURCE_BLOB_HASH_MISMATCH');
      // A blob no manifest declared is not accepted at all.
      const stray = await put(h.orgA, sha('stray'), 'stray');
      assert.equal(stray.json().code, 'SOURCE_BLOB_NOT_DECLARED');
      // no temp files left behind
      const dir = join(h.dataDir, 'blobs');
      const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d, { withFileTypes: true }).flatMap((x) => (x.isDirectory() ? walk(join(d, x.name)) : [x.name])) : []);
      assert.ok(walk(dir).every((n) => !n.endsWith('.tmp')));
    });

    test('an empty file uploads with an empty body', async () => {
      const e = entry('empty.txt', '');
      await post(h.orgA, { kind: 'full', entries: [e] });
      assert.equal((await put(h.orgA, e.sha256, '')).statusCode, 204);
      assert.deepEqual((await post(h.orgA, { kind: 'full', entries: [e] })).json().missing, []);
    });

    test('hostile manifests are refused, naming the path and the rule', async () => {
      const ok = entry('ok.js', 'ok');
      const cases: Array<[string, ManifestEntry[], RegExp]> = [
        ['duplicate', [ok, { ...ok }], /"ok\.js" is listed twice/],
        ['bad sha', [{ ...ok, sha256: 'xyz' }], /"ok\.js" has sha256 "xyz"/],
        ['negative size', [{ ...ok, size: -1 }], /"ok\.js" has size -1/],
        ['fractional size', [{ ...ok, size: 1.5 }], /"ok\.js" has size 1.5/],
        ['same hash two sizes', [ok, { ...ok, path: 'copy.js', size: 3 }], /"copy\.js" has size 3 but another file with the same sha256/],
      ];
      for (const [name, bad, re] of cases) {
        const res = await post(h.orgA, { kind: 'full', entries: bad });
        assert.equal(res.statusCode, 400, name);
        assert.equal(res.json().code, 'SOURCE_MANIFEST_INVALID', name);
        assert.match(res.json().message, re, name);
      }
    });

    test('paths no package can hold are refused at upload with SOURCE_PATH_INVALID, naming the path (escaped) and the rule', async () => {
      const ok = entry('ok.js', 'ok');
      const other = entry('other.js', 'other');
      const cases: Array<[string, ManifestEntry[], RegExp]> = [
        ['absolute', [{ ...ok, path: '/etc/passwd' }], /"\/etc\/passwd" is absolute/],
        ['dot-dot', [{ ...ok, path: 'a/../../etc/passwd' }], /"a\/..\/..\/etc\/passwd" contains "\.\."/],
        ['windows absolute', [{ ...ok, path: 'C:/x' }], /"C:\/x" is absolute/],
        ['backslash', [{ ...ok, path: 'a\\b' }], /backslash/],
        ['file and folder', [{ ...ok, path: 'x' }, { ...other, path: 'x/y' }], /file "x" is also a folder \(of "x\/y"\): a path cannot be both; rename it/],
        ['folder and file, deeper', [{ ...ok, path: 'a/b/c.js' }, { ...other, path: 'a/b' }], /file "a\/b" is also a folder/],
        ['300-byte segment', [{ ...ok, path: `lib/${'s'.repeat(300)}.js` }], /has a segment of 303 bytes .*at most 255 bytes per name/],
        ['long path', [{ ...ok, path: Array.from({ length: 12 }, () => 'd'.repeat(90)).join('/') }], /is longer than 1024 bytes/],
        ['newline', [{ ...ok, path: 'evil\nINFO deployed.js' }], /"evil\\nINFO deployed\.js" contains a control character/],
        ['escape', [{ ...ok, path: 'x\u001b]0;pwned\u0007.js' }], /control character/],
        ['bidi override', [{ ...ok, path: 'invoice\u202Esj.exe' }], /"invoice\\u202esj\.exe" contains a bidi override/],
        ['bidi isolate', [{ ...ok, path: 'a\u2066b.js' }], /bidi override or isolate/],
        ['lone surrogate', [{ ...ok, path: 'x\uD800.js' }], /"x\\ud800\.js" contains an unpaired UTF-16 surrogate/],
      ];
      for (const [name, bad, re] of cases) {
        const res = await post(h.orgA, { kind: 'full', entries: bad });
        assert.equal(res.statusCode, 400, name);
        assert.equal(res.json().code, 'SOURCE_PATH_INVALID', name);
        assert.match(res.json().message, re, name);
        assert.doesNotMatch(res.json().message, /[\u202a-\u202e\u2066-\u2069]/, `${name}: the message carries no raw bidi character`);
      }
      const del = await post(h.orgA, { kind: 'delta', base: manifestId(entries), put: [], delete: ['../x'], manifestId: manifestId(entries) });
      assert.equal(del.json().code, 'SOURCE_PATH_INVALID');
      assert.match(del.json().message, /deleted path "\.\.\/x" contains "\.\."/);
      // A delta whose put makes a file of a folder the base holds (lib/util.js): caught on the whole manifest.
      const lib = entry('lib', 'now a file');
      const conflict = await post(h.orgA, { kind: 'delta', base: manifestId(entries), put: [lib], delete: [], manifestId: manifestId([...entries, lib]) });
      assert.equal(conflict.statusCode, 400, conflict.body);
      assert.equal(conflict.json().code, 'SOURCE_PATH_INVALID');
      assert.match(conflict.json().message, /file "lib" is also a folder \(of "lib\/util\.js"\)/);
    });

    test('limits: file count, total bytes, file size', async () => {
      const many = Array.from({ length: 6 }, (_, i) => entry(`f${i}.js`, `f${i}`));
      const r1 = await post(h.orgA, { kind: 'full', entries: many });
      assert.equal(r1.statusCode, 413);
      assert.equal(r1.json().code, 'SOURCE_LIMIT_EXCEEDED');
      assert.match(r1.json().message, /6 files; the engine accepts up to 5/);
      const big = Array.from({ length: 3 }, (_, i) => ({ ...entry(`b${i}`, `b${i}`), size: 350 }));
      const r2 = await post(h.orgA, { kind: 'full', entries: big.map((e, i) => ({ ...e, sha256: sha(`b${i}`) })) });
      assert.equal(r2.json().code, 'SOURCE_LIMIT_EXCEEDED');
      assert.match(r2.json().message, /1050 bytes; the engine accepts up to 1000/);
      const huge = await post(h.orgA, { kind: 'full', entries: [{ ...entry('huge.bin', 'x'), size: 401 }] });
      assert.equal(huge.json().code, 'SOURCE_LIMIT_EXCEEDED');
      assert.match(huge.json().message, /"huge\.bin" is 401 bytes/);
      // an upload bigger than maxFileBytes is cut off by the body limit
      const e = entry('ok2.js', 'ok2');
      await post(h.orgA, { kind: 'full', entries: [e] });
      const tooBig = await put(h.orgA, e.sha256, Buffer.alloc(500, 1));
      assert.equal(tooBig.statusCode, 413);
      assert.equal(tooBig.json().code, 'PAYLOAD_TOO_LARGE');
    });

    test('a delta is checked by what it changes, with the answers the whole manifest\'s check gives', async () => {
      const a = entry('d/a.js', 'delta a');
      const u = entry('d/lib/u.js', 'delta u');
      const base = [a, u];
      assert.equal((await post(h.orgB, { kind: 'full', entries: base })).statusCode, 200);
      const delta = (changes: { put?: ManifestEntry[]; delete?: string[] }) => {
        const next = new Map(base.map((e) => [e.path, e]));
        for (const p of changes.delete ?? []) next.delete(p);
        for (const e of changes.put ?? []) next.set(e.path, e);
        return post(h.orgB, { kind: 'delta', base: manifestId(base), put: changes.put ?? [], delete: changes.delete ?? [], manifestId: manifestId(next.values()) });
      };
      // a new path under a file, and a new file where a folder is: refused as a full manifest would be
      const under = await delta({ put: [entry('d/a.js/x', 'x')] });
      assert.equal(under.json().code, 'SOURCE_PATH_INVALID', under.body);
      assert.match(under.json().message, /"d\/a\.js" is also a folder \(of "d\/a\.js\/x"\)/);
      const over = await delta({ put: [entry('d/lib', 'lib')] });
      assert.equal(over.json().code, 'SOURCE_PATH_INVALID', over.body);
      // the folder emptied by the same delta: a file may take its place
      const replaced = await delta({ put: [entry('d/lib', 'lib')], delete: ['d/lib/u.js'] });
      assert.equal(replaced.statusCode, 200, replaced.body);
      assert.deepEqual([replaced.json().files, replaced.json().bytes], [2, a.size + 3]);
      // a hash the base holds, with another size
      const liar = await delta({ put: [{ ...entry('d/b.js', 'delta a'), size: 3 }] });
      assert.equal(liar.json().code, 'SOURCE_MANIFEST_INVALID', liar.body);
      // the size of a hash whose only file the delta replaces is free again
      const moved = await delta({ put: [entry('d/a.js', 'delta a2'), { ...entry('d/b.js', 'delta a'), size: 3 }] });
      assert.equal(moved.statusCode, 200, moved.body);
      // limits on the whole result, with the whole check's message
      const many = await delta({ put: ['1', '2', '3', '4'].map((n) => entry(`d/m${n}.js`, n)) });
      assert.equal(many.json().code, 'SOURCE_LIMIT_EXCEEDED', many.body);
      assert.match(many.json().message, /6 files; the engine accepts up to 5/);
      const changed = entry('d/a.js', 'delta a, longer');
      const ok = await delta({ put: [changed] });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual([ok.json().files, ok.json().bytes], [2, changed.size + u.size]);
    });

    test('requireComplete after a delta asks only about the blobs the upload answered missing', async () => {
      const base = [entry('rc/a.js', 'rc a'), entry('rc/b.js', 'rc b')];
      assert.equal((await post(h.orgA, { kind: 'full', entries: base })).statusCode, 200);
      for (const c of ['rc a', 'rc b']) assert.equal((await put(h.orgA, sha(c), c)).statusCode, 204);
      await h.feature.source.requireComplete(h.orgA, manifestId(base));
      const changed = entry('rc/a.js', 'rc a2');
      const next = [changed, base[1]!];
      const res = await post(h.orgA, { kind: 'delta', base: manifestId(base), put: [changed], delete: [], manifestId: manifestId(next) });
      assert.deepEqual(res.json().missing, [changed.sha256]);
      const missing = await h.feature.source.requireComplete(h.orgA, manifestId(next)).catch((e: { code: string; details: { count: number } }) => [e.code, e.details.count]);
      assert.deepEqual(missing, ['SOURCE_BLOBS_MISSING', 1]);
      // Count the hashes asked about: only the changed file's, not the whole manifest's.
      const asked: unknown[] = [];
      assert.equal((await put(h.orgA, changed.sha256, 'rc a2')).statusCode, 204);
      const seen = spyOrgBlobQueries(h, asked);
      try {
        assert.deepEqual(await h.feature.source.requireComplete(h.orgA, manifestId(next)), { files: 2, bytes: next.reduce((n, e) => n + e.size, 0) });
      } finally {
        seen.restore();
      }
      assert.deepEqual(asked, [[changed.sha256]]);
    });

    test('org B cannot learn which blobs org A holds: its missing list still has them', async () => {
      const res = await post(h.orgB, { kind: 'full', entries });
      assert.equal(res.statusCode, 200);
      assert.deepEqual([...res.json().missing].sort(), entries.map((e) => e.sha256).sort());
      // ...and org B must really upload the bytes before its manifest is complete
      const dep = await h.feature.source.requireComplete(h.orgB, manifestId(entries)).catch((e: { code: string }) => e.code);
      assert.equal(dep, 'SOURCE_BLOBS_MISSING');
    });

    test('viewers cannot upload; another org is not found', async () => {
      const v = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/sources`, headers: h.as(h.orgA, 'viewer'), payload: { kind: 'full', entries } });
      assert.equal(v.statusCode, 403);
      const x = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/sources`, headers: h.as(h.orgB), payload: { kind: 'full', entries } });
      assert.equal(x.statusCode, 404);
    });
  });
}

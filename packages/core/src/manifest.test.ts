import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { findPathConflict, invalidPathReason, manifestId, normalizeMode, printablePath, type ManifestEntry } from './manifest.js';

test('ordinary paths pass, including non-ASCII names and a 255-byte segment', () => {
  for (const p of ['index.mjs', 'node_modules/@aws-sdk/client-s3/dist-cjs/index.js', 'café/naïve.js', '日本語/ファイル.txt', 'emoji-😀.js', 'a'.repeat(255), `${'é'.repeat(127)}a`]) {
    assert.equal(invalidPathReason(p), undefined, p);
  }
});

test('segments over 255 bytes and paths over 1024 bytes are refused, counted in UTF-8 bytes', () => {
  assert.match(invalidPathReason('a'.repeat(256)) ?? '', /segment of 256 bytes.*at most 255 bytes per name/);
  assert.match(invalidPathReason(`dir/${'é'.repeat(128)}`) ?? '', /segment of 256 bytes/, '128 two-byte characters are 256 bytes');
  const deep = Array.from({ length: 11 }, () => 'x'.repeat(99)).join('/');
  assert.equal(deep.length, 1099);
  assert.match(invalidPathReason(deep) ?? '', /longer than 1024 bytes/);
  assert.match(invalidPathReason(Array.from({ length: 6 }, () => 'é'.repeat(90)).join('/')) ?? '', /longer than 1024 bytes/, '545 characters, 1085 bytes');
});

test('control characters, bidi overrides and isolates, and lone surrogates are refused', () => {
  const cases: Array<[string, RegExp]> = [
    ['a\nb.js', /control character/],
    ['a\u001b[31mb.js', /control character/],
    ['del\u007f.js', /control character/],
    ['c1\u0085.js', /control character/],
    ['invoice\u202Efdp.exe', /bidi override/],
    ...['\u202A', '\u202B', '\u202C', '\u202D', '\u2066', '\u2067', '\u2068', '\u2069'].map((c): [string, RegExp] => [`x${c}y.js`, /bidi/]),
    ['lone\uD800.js', /unpaired UTF-16 surrogate/],
    ['lone\uDC00.js', /unpaired UTF-16 surrogate/],
    ['end\uD83D', /unpaired/],
  ];
  for (const [p, re] of cases) assert.match(invalidPathReason(p) ?? '', re, JSON.stringify(p));
  assert.equal(invalidPathReason('pair\uD83D\uDE00.js'), undefined, 'a proper surrogate pair is an emoji');
});

test('a path that is both a file and a folder is found, in either order', () => {
  assert.deepEqual(findPathConflict(['x', 'x/y']), { file: 'x', under: 'x/y' });
  assert.deepEqual(findPathConflict(['a/b/c/d.js', 'a.js', 'a/b']), { file: 'a/b', under: 'a/b/c/d.js' });
  assert.equal(findPathConflict(['x.js', 'x/y.js', 'x-y/z', 'x y']), undefined);
  assert.equal(findPathConflict([]), undefined);
});

test('printablePath shows what a terminal would otherwise hide or reorder', () => {
  assert.equal(printablePath('invoice\u202Efdp.exe'), '"invoice\\u202efdp.exe"');
  assert.equal(printablePath('a\nb'), '"a\\nb"');
  assert.equal(printablePath('lone\uD800'), '"lone\\ud800"');
  assert.match(printablePath('x'.repeat(500)), /^"x{200}\.\.\."$/);
});

test('the fast path for ordinary paths agrees with the rules at its edges', () => {
  assert.equal(invalidPathReason('a'.repeat(86)), undefined, 'an 86-character segment leaves the fast path and still passes');
  assert.equal(invalidPathReason(`${'d'.repeat(200)}/${'f'.repeat(200)}`), undefined);
  assert.equal(invalidPathReason('.hidden/.x'), undefined);
  for (const p of ['./a', 'a/.', 'a/../b', '../a', 'a//b', 'a/', '/a', 'a\\b', 'C:/a', '.', '..']) assert.ok(invalidPathReason(p), p);
});

test('manifestId: the same id as hashing each entry on its own, sorted or not, array or iterable, across its 64 KB pieces', () => {
  const reference = (entries: readonly ManifestEntry[]): string => {
    const h = createHash('sha256');
    for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(`${e.path}\0${e.sha256}\0${normalizeMode(e.mode).toString(8)}\n`);
    return h.digest('hex');
  };
  const entries: ManifestEntry[] = [];
  for (let i = 0; i < 5000; i++) {
    const name = i % 7 === 0 ? `dir-é/😀-${i}.js` : i % 11 === 0 ? `日本/${i}.txt` : `node_modules/pkg-${i % 50}/lib/file-${i}.js`;
    entries.push({ path: name, sha256: createHash('sha256').update(String(i)).digest('hex'), size: i, mode: i % 13 === 0 ? 0o755 : 0o644 });
  }
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const id = reference(entries);
  assert.equal(manifestId(sorted), id);
  assert.equal(manifestId(entries), id);
  const reversed = [...sorted].reverse();
  assert.equal(manifestId(reversed), id);
  assert.equal(reversed[0], sorted.at(-1), 'the input array is left as given');
  assert.equal(manifestId(new Map(entries.map((e) => [e.path, e])).values()), id);
  assert.equal(manifestId(sorted.slice(0, 1)), reference(sorted.slice(0, 1)));
  assert.equal(manifestId([]), reference([]));
  const changed = sorted.map((e, i) => (i === 4321 ? { ...e, mode: 0o755 } : e));
  assert.notEqual(manifestId(changed), id);
});

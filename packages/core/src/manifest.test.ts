import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPathConflict, invalidPathReason, printablePath } from './manifest.js';

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

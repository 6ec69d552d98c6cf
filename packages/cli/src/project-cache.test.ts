import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHangarError, readProjectText } from '@hangar/core';
import { cachedProjectReader } from './project-cache.js';
import { loadWorkspace } from './project-file.js';

function counted() {
  const calls: string[] = [];
  return { calls, parse: (text: string, fileName: string) => { calls.push(fileName); return readProjectText(text, fileName); } };
}

test('a project file parses once; the same text is read from the cache, a changed one parsed again', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'cache');
  const c = counted();
  const read = cachedProjectReader(cache, { parse: c.parse, parser: 'test' });
  const text = 'component: http-function\nname: api\ninputs:\n  src: ./src\n  memory: 256\n  env:\n    A: "${env:A}"\n';
  const first = read(text, 'hangar.yml', '/p/hangar.yml');
  assert.deepEqual(first, readProjectText(text, 'hangar.yml'));
  assert.deepEqual(read(text, 'hangar.yml', '/p/hangar.yml'), first);
  assert.deepEqual(cachedProjectReader(cache, { parse: c.parse, parser: 'test' })(text, 'hangar.yml', '/p/hangar.yml'), first);
  assert.equal(c.calls.length, 1, 'parsed once, then served from the cache (also by a new reader)');
  const changed = text.replace('256', '512');
  assert.equal((read(changed, 'hangar.yml', '/p/hangar.yml') as { inputs: { memory: number } }).inputs.memory, 512);
  assert.equal(c.calls.length, 2);
  // Another parser (a yaml upgrade) does not take the old parse.
  cachedProjectReader(cache, { parse: c.parse, parser: 'other' })(changed, 'hangar.yml', '/p/hangar.yml');
  assert.equal(c.calls.length, 3);
  assert.equal(readdirSync(cache).length, 1, 'one cache file per project file path');
});

test('a damaged or foreign cache file is ignored and written again', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'cache');
  const c = counted();
  const read = cachedProjectReader(cache, { parse: c.parse, parser: 'test' });
  const text = 'component: http-function\nname: api\n';
  read(text, 'hangar.yml', '/p/hangar.yml');
  const [file] = readdirSync(cache);
  for (const junk of ['{"v":1,"key":', '[]', '{"v":2,"key":"x","value":{}}', '{"v":1,"key":"0","value":{"name":"evil"}}']) {
    writeFileSync(join(cache, file!), junk);
    assert.deepEqual(read(text, 'hangar.yml', '/p/hangar.yml'), { component: 'http-function', name: 'api' });
  }
  assert.equal(c.calls.length, 5);
  assert.deepEqual(read(text, 'hangar.yml', '/p/hangar.yml'), { component: 'http-function', name: 'api' });
  assert.equal(c.calls.length, 5, 'rewritten after the damaged one');
});

test('what JSON cannot carry exactly, and a file that does not parse, are never cached', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = join(dir, 'cache');
  const c = counted();
  const read = cachedProjectReader(cache, { parse: c.parse, parser: 'test' });
  const inf = 'component: http-function\nname: api\ninputs:\n  timeout: .inf\n';
  assert.equal((read(inf, 'hangar.yml', '/p/a.yml') as { inputs: { timeout: number } }).inputs.timeout, Infinity);
  assert.equal((read(inf, 'hangar.yml', '/p/a.yml') as { inputs: { timeout: number } }).inputs.timeout, Infinity);
  assert.equal(c.calls.length, 2);
  const bad = 'component: [http-function\n';
  for (let i = 0; i < 2; i++) assert.throws(() => read(bad, 'hangar.yml', '/p/b.yml'), (e: unknown) => isHangarError(e) && e.code === 'PROJECT_FILE_INVALID');
  assert.equal(c.calls.length, 4);
  assert.deepEqual(readdirSync(join(dir)).includes('cache') ? readdirSync(cache) : [], []);
});

test('loadWorkspace with the cached reader gives the same project, and a changed environment still applies', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-pcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const project = join(dir, 'p');
  mkdirSync(project);
  writeFileSync(join(project, 'hangar.yml'), 'component: http-function\nname: api\napp: shop\ninputs:\n  src: ./src\n  env:\n    MODE: ${env:MODE}\n');
  const c = counted();
  const read = cachedProjectReader(join(dir, 'cache'), { parse: c.parse, parser: 'test' });
  const a = loadWorkspace(project, { MODE: 'one' }, undefined, read);
  const b = loadWorkspace(project, { MODE: 'two' }, undefined, read);
  assert.deepEqual(a, loadWorkspace(project, { MODE: 'one' }));
  assert.equal(a.kind === 'instance' && (a.project.inputs.env as Record<string, string>).MODE, 'one');
  assert.equal(b.kind === 'instance' && (b.project.inputs.env as Record<string, string>).MODE, 'two');
  assert.equal(c.calls.length, 1);
});

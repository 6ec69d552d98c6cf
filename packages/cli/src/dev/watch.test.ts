import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIgnore, watchSource } from './watch.js';

test('the watch ignores what the source cache never uploads, node_modules (but its lockfile) and the hook output', () => {
  const root = '/p/src';
  const ignore = createIgnore({ root, ignoredDirs: ['/p/src/dist', '/p/src/.hangar-home'] });
  const watched = ['/p/src', '/p/src/index.js', '/p/src/lib/a.mjs', '/p/src/package.json', '/p/src/package-lock.json',
    '/p/src/node_modules', '/p/src/node_modules/.package-lock.json', '/p/src/distribution.js', '/p/src/environment.js'];
  const ignored = ['/p/src/.env', '/p/src/lib/.env.local', '/p/src/.git', '/p/src/.git/HEAD', '/p/src/.hangar/x',
    '/p/src/node_modules/lodash', '/p/src/node_modules/lodash/index.js', '/p/src/lib/node_modules/x/y.js',
    '/p/src/dist', '/p/src/dist/index.js', '/p/src/.hangar-home/cache.json', '/p/src/.index.js.swp', '/p/src/index.js~', '/p/src/4913',
    '/p/other/index.js'];
  for (const p of watched) assert.equal(ignore(p), false, `${p} is watched`);
  for (const p of ignored) assert.equal(ignore(p), true, `${p} is ignored`);
});

test('a save in the source is reported; a change under node_modules or .env is not', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hangar-watch-'));
  try {
    mkdirSync(join(root, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(root, 'index.js'), 'one');
    const seen: string[] = [];
    let resolveSeen: () => void = () => undefined;
    const sawIndex = new Promise<void>((r) => { resolveSeen = r; });
    const w = await watchSource({ root, ignoredDirs: [] }, (p) => { seen.push(p); if (p.endsWith('index.js')) resolveSeen(); }, (e) => assert.fail(String(e)));
    try {
      writeFileSync(join(root, 'node_modules/dep/a.js'), 'x');
      writeFileSync(join(root, '.env'), 'SECRET=1');
      writeFileSync(join(root, 'index.js'), 'two'); // written last: once it is seen, the others had their chance
      await sawIndex;
      assert.deepEqual(seen.filter((p) => !p.endsWith('index.js')), []);
    } finally {
      await w.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

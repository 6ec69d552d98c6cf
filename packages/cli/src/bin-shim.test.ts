/**
 * bin/hangar.js starts the one-file bundle (dist/hangar.mjs) only while it is current: newer than
 * every file it was made from that is there. Tried on a copy of the shim beside stand-in builds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('../', import.meta.url));

function standIn() {
  const root = mkdtempSync(join(tmpdir(), 'hangar-shim-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist'));
  copyFileSync(join(pkg, 'bin', 'hangar.js'), join(root, 'bin', 'hangar.js'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}');
  const at = (file: string, seconds: number) => utimesSync(join(root, file), seconds, seconds);
  const write = (file: string, text: string, seconds: number) => { writeFileSync(join(root, file), text); at(file, seconds); };
  const run = () => spawnSync(process.execPath, [join(root, 'bin', 'hangar.js')], { encoding: 'utf8' });
  return { root, at, write, run, [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }) };
}

test('the bundle runs while it is newer than its inputs; else dist/bin.js; else a clear error', () => {
  const s = standIn();
  try {
    s.write('dist/bin.js', 'console.log("modules")', 1000);
    s.write('dist/lib.js', 'export {}', 1000);
    s.write('dist/hangar.mjs', 'console.log("bundle")', 2000);
    // Inputs are listed relative to the bundle; one that is not there (an installed package) counts as older.
    s.write('dist/hangar.inputs.json', JSON.stringify({ inputs: ['bin.js', 'lib.js', '../../elsewhere/dep.js'] }), 2000);
    assert.equal(s.run().stdout.trim(), 'bundle');
    // `tsc -b` rewrote a module after the bundle was made: the bundle is stale code.
    s.at('dist/lib.js', 3000);
    assert.equal(s.run().stdout.trim(), 'modules');
    s.at('dist/hangar.mjs', 4000);
    assert.equal(s.run().stdout.trim(), 'bundle');
    // Without its inputs list the bundle cannot be judged: the modules run.
    rmSync(join(s.root, 'dist/hangar.inputs.json'));
    assert.equal(s.run().stdout.trim(), 'modules');
    rmSync(join(s.root, 'dist/hangar.mjs'));
    assert.equal(s.run().stdout.trim(), 'modules');
    rmSync(join(s.root, 'dist/bin.js'));
    const none = s.run();
    assert.equal(none.status, 1);
    assert.match(none.stderr, /dist\/bin\.js is not built yet\. Run `npm run build`/);
  } finally {
    s[Symbol.dispose]();
  }
});

test('the real bundle, made from the current build, answers as dist/bin.js does', () => {
  execFileSync(process.execPath, [join(pkg, 'scripts', 'bundle.mjs')], { stdio: 'pipe' });
  // Current by the shim's rule, so the shim starts it.
  const made = statSync(join(pkg, 'dist', 'hangar.mjs')).mtimeMs;
  const { inputs } = JSON.parse(readFileSync(join(pkg, 'dist', 'hangar.inputs.json'), 'utf8')) as { inputs: string[] };
  assert.ok(inputs.length > 50, `${inputs.length} inputs`);
  for (const input of inputs) assert.ok(statSync(join(pkg, 'dist', input)).mtimeMs <= made, `${input} is newer than the bundle`);
  const viaShim = spawnSync(process.execPath, [join(pkg, 'bin', 'hangar.js'), 'deploy', '--help'], { encoding: 'utf8' });
  const viaModules = spawnSync(process.execPath, [join(pkg, 'dist', 'bin.js'), 'deploy', '--help'], { encoding: 'utf8' });
  assert.equal(viaShim.status, 0, viaShim.stderr);
  assert.equal(viaShim.stdout, viaModules.stdout);
  assert.match(viaShim.stdout, /--refresh/);
});

#!/usr/bin/env node
// Runs benchmarks (scripts, not tests) one after another, TypeScript loaded through tsx and
// workspace packages resolved to their sources. Usage:
//   node scripts/bench.mjs                      every bench/*.bench.{ts,mjs,js}
//   node scripts/bench.mjs local-cloud deploy   the bench files whose name contains one of the words
// Arguments after `--` go to every benchmark.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const filters = dash < 0 ? argv : argv.slice(0, dash);
const passThrough = dash < 0 ? [] : argv.slice(dash + 1);
const files = readdirSync(join(root, 'bench'))
  .filter((f) => /\.bench\.(ts|mjs|js)$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x.replace(/^bench\//, ''))))
  .sort();
if (files.length === 0) {
  console.error(`no bench/*.bench.* file matches ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.error(`== bench/${f}`);
  const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join('bench', f), ...passThrough], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
process.exit(failed ? 1 : 0);

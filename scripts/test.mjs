#!/usr/bin/env node
// Runs every test in the repo with Node's own test runner, TypeScript loaded through tsx and
// workspace packages resolved to their sources (the "source" export condition).
// Usage: node scripts/test.mjs [path-filter ...]   e.g. node scripts/test.mjs local-cloud
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skip = new Set(['node_modules', 'dist', '.git', 'test-output']);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = ['packages', 'e2e', 'bench'].flatMap((d) => (existsSync(join(root, d)) ? walk(join(root, d), []) : []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}

const args = [
  '--conditions=source',
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${process.env.HANGAR_TEST_CONCURRENCY ?? '2'}`,
  '--test-reporter=spec',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

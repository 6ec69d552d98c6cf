/**
 * The CLI and the dashboard take the engine's API contract (`@hangar/core/api`) as types only:
 * its schemas load zod, which the CLI's start-up (the no-op deploy budget) and the dashboard's
 * bundle must not pay for. A value import here would compile and work, so this test is the guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

test('the CLI and the dashboard import @hangar/core/api with `import type` only', () => {
  const bad: string[] = [];
  let typed = 0;
  for (const file of [...sources(join(root, 'packages/cli/src')), ...sources(join(root, 'packages/dashboard/src'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\b([^;]*?)from\s+['"]@hangar\/core\/api['"]/gms)) {
      if (/^\s*(import|export)\s+type\b/.test(m[0])) typed++;
      else bad.push(`${relative(root, file)}: ${m[0].trim().split('\n')[0]}`);
    }
    if (/import\(\s*['"]@hangar\/core\/api['"]\s*\)/.test(text) && !/typeof import\(/.test(text)) bad.push(`${relative(root, file)}: dynamic import`);
  }
  assert.deepEqual(bad, [], 'use `import type { … } from \'@hangar/core/api\'`');
  assert.ok(typed >= 10, `expected the clients to take their reply types from the contract (found ${typed} type imports)`);
});

// What the engine loads at run time (everything reachable from src/index.ts by value imports)
// comes from its own dependencies: never the local cloud (a test-only devDependency; `hangar up`
// joins the two in @hangar/local), never a devDependency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('.', import.meta.url));
const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** Value imports and re-exports of a module (type-only ones are erased and do not count). */
function importsOf(code: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of code.matchAll(re)) out.push((m[1] ?? m[2])!);
  return out;
}

test('the engine at run time imports only its declared dependencies, not @hangar/local-cloud', () => {
  const seen = new Set<string>();
  const bare = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        assert.ok(existsSync(target), `${file}: ${spec} not found`);
        visit(target);
      } else if (!spec.startsWith('node:')) {
        bare.set(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!, file);
      }
    }
  };
  visit(join(src, 'index.ts'));
  assert.ok(seen.size > 20, 'walked the engine');
  assert.ok(!bare.has('@hangar/local-cloud'), `imported by ${bare.get('@hangar/local-cloud')}`);
  for (const [name, from] of bare) assert.ok(name in pkg.dependencies, `${name} (imported by ${from}) is not a dependency of @hangar/engine`);
});

/**
 * One folder per feature owns its tables (DESIGN.md): a feature's files query only the tables its
 * own `tables.ts` declares; another feature's rows are read through that feature's repo
 * (e.g. `orgs/reads.ts` for the platform's users, memberships and tokens, `deployments/apps-repo.ts`
 * for apps and instances). Features spanning several folders are grouped below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('.', import.meta.url));
/** Folders that make up one feature (the list: platform; providers; deployments with source and instances; session; audit). */
const groups: Record<string, string> = { orgs: 'platform', tokens: 'platform', deployments: 'deployments', source: 'deployments', instances: 'deployments' };
const featureOf = (folder: string) => groups[folder] ?? folder;

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (name.endsWith('.ts') && !/\.test\.ts$/.test(name) && !name.startsWith('_')) out.push(p);
  }
  return out;
}

test('no feature queries another feature\'s tables', () => {
  const owner = new Map<string, string>();
  const all = files(src);
  for (const f of all.filter((p) => p.endsWith('/tables.ts'))) {
    const folder = relative(src, f).split('/')[0]!;
    const block = /interface Database\s*\{([^}]*)\}/.exec(readFileSync(f, 'utf8'))?.[1] ?? '';
    for (const m of block.matchAll(/(\w+)\s*:/g)) owner.set(m[1]!, featureOf(folder));
  }
  assert.ok(owner.has('memberships') && owner.has('apps') && owner.has('sessions'), `tables found: ${[...owner.keys()].join(', ')}`);
  const reaches: string[] = [];
  for (const f of all) {
    const rel = relative(src, f);
    if (!rel.includes('/')) continue; // engine.ts, testing.ts…: wiring, not a feature
    const feature = featureOf(rel.split('/')[0]!);
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin|rightJoin|with(?:Tables)?)\(\s*'(\w+)/g)) {
      const table = m[1]!;
      const tableOwner = owner.get(table);
      if (tableOwner && tableOwner !== feature) reaches.push(`${rel}: ${table} (owned by ${tableOwner})`);
    }
    if (/withTables</.test(text)) reaches.push(`${rel}: withTables<…> (declares another feature's tables locally)`);
  }
  assert.deepEqual(reaches, [], 'read another feature\'s rows through its repo (orgs/reads.ts, deployments/apps-repo.ts, …), not its tables');
});

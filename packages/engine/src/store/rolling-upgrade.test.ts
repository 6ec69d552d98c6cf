// Rolling upgrade (docs/self-host.md, Upgrades): migrations are expand-then-contract, so an engine
// of the previous release keeps working against a database the new release migrated. Checked here
// by migrating a store with the previous migration set (every migration minus this release's),
// migrating it again with the full set, and comparing: nothing the previous release reads was
// dropped, renamed or retyped, and nothing it writes became required. Then the previous set is run
// against the migrated store, as a previous-release engine restarting mid-rollout would.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Migration } from 'kysely';
import { openEngineStore } from '../engine.js';
import { createLogger } from '../logger.js';
import type { Db } from '../types.js';
import { migrateToLatest, pendingMigrations, unknownAppliedMigrations } from './migrate.js';
import { openTestStore, ownTables, testDatabases } from './test-store.js';

/** This release's migrations (named `<date>_<feature>_<what>`, see the brief); bump it at each release. */
const THIS_RELEASE = /^2026_12_01_/;

async function allMigrations(): Promise<Record<string, Migration>> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-migrations-'));
  try {
    const store = await openEngineStore({
      config: {
        publicUrl: 'http://127.0.0.1:7300', dataDir: dir, database: { kind: 'sqlite', path: join(dir, 'hangar.db') },
        aws: { region: 'us-east-1' }, limits: { maxFiles: 1, maxTotalBytes: 1, maxFileBytes: 1, maxManifestEntries: 1 }, workers: 0,
      },
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    try { return { ...store.migrations }; } finally { await store.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ColumnShape { readonly type: string; readonly nullable: boolean; readonly hasDefault: boolean }

async function schemaOf(db: Db): Promise<Map<string, Map<string, ColumnShape>>> {
  const tables = await ownTables(db);
  return new Map(tables.map((t) => [t.name, new Map(t.columns.map((c) => [c.name, { type: c.dataType, nullable: c.isNullable, hasDefault: c.hasDefault }]))]));
}

/** What the new release changed that an engine of the previous one would trip over. */
function breaking(before: Map<string, Map<string, ColumnShape>>, after: Map<string, Map<string, ColumnShape>>): string[] {
  const out: string[] = [];
  for (const [table, columns] of before) {
    const now = after.get(table);
    if (!now) { out.push(`table ${table} was dropped or renamed`); continue; }
    for (const [name, was] of columns) {
      const is = now.get(name);
      if (!is) out.push(`column ${table}.${name} was dropped or renamed`);
      else if (is.type !== was.type) out.push(`column ${table}.${name} changed type ${was.type} → ${is.type}`);
      else if (was.nullable && !is.nullable) out.push(`column ${table}.${name} became NOT NULL`);
    }
    for (const [name, is] of now) {
      if (!columns.has(name) && !is.nullable && !is.hasDefault) out.push(`new column ${table}.${name} is NOT NULL without a default (the previous release's inserts would fail)`);
    }
  }
  return out;
}

describe('rolling upgrade: this release\'s migrations are additive', () => {
  for (const db of testDatabases()) {
    test(`an engine with the previous migration set keeps working on a database the new one migrated (${db.kind})`, { skip: db.skip }, async () => {
      const all = await allMigrations();
      const previous = Object.fromEntries(Object.entries(all).filter(([name]) => !THIS_RELEASE.test(name)));
      const added = Object.keys(all).filter((name) => THIS_RELEASE.test(name));
      assert.ok(added.length > 0, 'this release adds migrations (else bump THIS_RELEASE)');
      const store = await openTestStore(db.kind);
      try {
        await migrateToLatest(store.db, previous);
        const before = await schemaOf(store.db);
        assert.deepEqual((await migrateToLatest(store.db, all)).sort(), added.sort(), 'the new release applies exactly its own migrations');
        assert.deepEqual(breaking(before, await schemaOf(store.db)), []);

        // The previous release restarting mid-rollout: nothing to apply, nothing pending, no "corrupted migrations".
        assert.deepEqual(await migrateToLatest(store.db, previous), []);
        assert.deepEqual(await pendingMigrations(store.db, previous), []);
        assert.deepEqual((await unknownAppliedMigrations(store.db, previous)).sort(), added.sort());
      } finally {
        await store.cleanup();
      }
    });
  }

  test('the check catches a drop, a rename, a retype and a required new column', () => {
    const col = (type: string, nullable = true, hasDefault = false): ColumnShape => ({ type, nullable, hasDefault });
    const before = new Map([['t', new Map([['a', col('text')], ['b', col('text')], ['c', col('integer')], ['d', col('text')]])], ['gone', new Map()]]);
    const after = new Map([['t', new Map([['a', col('text')], ['b2', col('text')], ['c', col('text')], ['d', col('text', false)], ['e', col('text', false)], ['f', col('text', false, true)]])]]);
    assert.deepEqual(breaking(before, after), [
      'column t.b was dropped or renamed',
      'column t.c changed type integer → text',
      'column t.d became NOT NULL',
      "new column t.e is NOT NULL without a default (the previous release's inserts would fail)",
      'table gone was dropped or renamed',
    ]);
  });
});

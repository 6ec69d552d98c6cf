import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { dialectOf, openStore, type Store } from './db.js';
import type { Db } from '../types.js';

/** The PostgreSQL URL for tests (HANGAR_TEST_PG), or undefined: tests then `skip` with this reason. */
export function testPostgresUrl(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  return env.HANGAR_TEST_PG || undefined;
}
export const PG_SKIP_REASON = 'set HANGAR_TEST_PG=postgres://postgres@127.0.0.1:5432/test to run this against PostgreSQL';

/** The databases a store test should run against: SQLite always, PostgreSQL when HANGAR_TEST_PG is set. */
export function testDatabases(): Array<{ kind: 'sqlite' | 'postgres'; skip: string | false }> {
  return [{ kind: 'sqlite', skip: false }, { kind: 'postgres', skip: testPostgresUrl() ? false : PG_SKIP_REASON }];
}

export interface TestStore extends Store {
  /** Close and delete everything (the temp folder, or the PostgreSQL schema). */
  cleanup(): Promise<void>;
}

/** A fresh, empty store: SQLite in a temp folder, or a new PostgreSQL schema `t_<random>` dropped on cleanup. */
export async function openTestStore(kind: 'sqlite' | 'postgres' = 'sqlite'): Promise<TestStore> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-db-'));
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'hangar.db') });
    let done = false;
    return { ...store, cleanup: async () => { if (done) return; done = true; await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const url = testPostgresUrl();
  if (!url) throw new Error(PG_SKIP_REASON);
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ kind: 'postgres', url }, { schema, maxConnections: 4 });
  let done = false;
  return {
    ...store,
    cleanup: async () => {
      if (done) return;
      done = true;
      await store.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      // …and the deployment queue's (pg-boss keeps its tables in `<schema>_pgboss`).
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_pgboss" CASCADE`); } finally { await c.end(); }
    },
  };
}

/** A table of a test store, with its columns. */
export interface OwnTable {
  readonly schema?: string | undefined;
  readonly name: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly dataType: string; readonly isNullable: boolean; readonly hasDefault: boolean }>;
}

/**
 * The base tables of this store only: on PostgreSQL those of `schemas` (default the connection's
 * current schema), read from pg_catalog for those schemas alone. Kysely's introspection reads every
 * schema, and failed (3F000 "schema does not exist") when another test file dropped its own
 * `t_<random>` schema meanwhile. On SQLite, Kysely's introspection (one file, nobody else's tables).
 */
export async function ownTables(db: Db, schemas?: readonly string[]): Promise<OwnTable[]> {
  if (dialectOf(db) !== 'postgres') {
    return (await db.introspection.getTables()).filter((t) => !t.isView).map((t) => ({
      name: t.name, columns: t.columns.map((c) => ({ name: c.name, dataType: c.dataType.toLowerCase(), isNullable: c.isNullable, hasDefault: c.hasDefaultValue || c.isAutoIncrementing })),
    }));
  }
  const wanted = schemas ?? [(await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s];
  const rows = (await sql<{ schema: string; table: string; column: string; type: string; nullable: boolean; has_default: boolean }>`
    select n.nspname as schema, c.relname as table, a.attname as column, lower(t.typname) as type,
           not a.attnotnull as nullable, (a.atthasdef or a.attidentity <> '') as has_default
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_catalog.pg_type t on t.oid = a.atttypid
    where c.relkind in ('r', 'p') and n.nspname in (${sql.join(wanted)})
    order by n.nspname, c.relname, a.attnum`.execute(db)).rows;
  const byTable = new Map<string, { schema: string; name: string; columns: OwnTable['columns'][number][] }>();
  for (const r of rows) {
    const key = `${r.schema}.${r.table}`;
    let t = byTable.get(key);
    if (!t) byTable.set(key, (t = { schema: r.schema, name: r.table, columns: [] }));
    t.columns.push({ name: r.column, dataType: r.type, isNullable: r.nullable, hasDefault: r.has_default });
  }
  return [...byTable.values()];
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from './db.js';

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

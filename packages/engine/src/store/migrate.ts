import { Migrator, sql, type Migration } from 'kysely';
import type { Db, Feature } from '../types.js';
import { dialectOf } from './db.js';

/** Every feature's migrations in one map; a name claimed twice is a bug, reported before anything runs. */
export function collectMigrations(features: readonly Pick<Feature, 'name' | 'migrations'>[]): Record<string, Migration> {
  const all: Record<string, Migration> = {};
  const owner = new Map<string, string>();
  for (const f of features) {
    for (const [name, m] of Object.entries(f.migrations)) {
      const prev = owner.get(name);
      if (prev) throw new Error(`migration "${name}" is declared by both "${prev}" and "${f.name}"`);
      owner.set(name, f.name);
      all[name] = m;
    }
  }
  return all;
}

/**
 * Bring the store up to date. Migrations run in name order; on PostgreSQL Kysely's migration lock
 * lets several engine processes start at once. A failure names the migration and its error.
 */
export async function migrateToLatest(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = await migratorFor(db, migrations);
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The migrations this engine knows that the store has not applied yet (HANGAR_MIGRATE=off refuses to start when there are any). */
export async function pendingMigrations(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const migrator = await migratorFor(db, migrations);
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

async function migratorFor(db: Db, migrations: Record<string, Migration>): Promise<Migrator> {
  let schema: string | undefined;
  if (dialectOf(db) === 'postgres') {
    // Pin the bookkeeping tables to this connection's schema: otherwise Kysely may see another
    // schema's kysely_migration table and believe this one is migrated.
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    schema = r.rows[0]?.s;
  }
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
}

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
 *
 * Migrations the store has applied but this engine does not know were applied by a newer engine
 * (a rolling upgrade: the previous release restarts next to the new one). They are expand-only by
 * rule (docs/self-host.md, Upgrades), so this engine runs alongside them instead of refusing to
 * start as Kysely would ("corrupted migrations: previously executed migration … is missing").
 */
export async function migrateToLatest(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const { migrator, schema } = await migratorFor(db, migrations);
  let outcome = await migrator.migrateToLatest();
  // Kysely looks for its bookkeeping table by introspecting every schema of the database; a schema
  // dropped meanwhile by someone else (another engine's test, an operator) fails that look-up with
  // 3F000 "schema does not exist" although ours is fine. Nothing was applied then: look again.
  for (let attempt = 1; attempt <= 5 && outcome.error && isVanishedSchema(outcome.error, schema); attempt++) {
    await new Promise((r) => setTimeout(r, 20 * attempt));
    outcome = await migrator.migrateToLatest();
  }
  const { error, results } = outcome;
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed ? `"${failed.migrationName}" ` : ''}failed: ${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The migrations this engine knows that the store has not applied yet (HANGAR_MIGRATE=off refuses to start when there are any). */
export async function pendingMigrations(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const { migrator } = await migratorFor(db, migrations);
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** Names the store recorded as applied (none before the first migration ever ran). */
async function appliedNames(db: Db, schema: string | undefined): Promise<string[]> {
  const table = schema ? sql.id(schema, 'kysely_migration') : sql.id('kysely_migration');
  try {
    const r = await sql<{ name: string }>`select name from ${table}`.execute(db);
    return r.rows.map((row) => row.name);
  } catch {
    return [];
  }
}

/** A stand-in for a migration a newer engine applied: never run (it is applied), only known. */
const appliedByNewerEngine: Migration = { up: async () => {} };

/** The migrations the store applied that `migrations` does not hold (a newer engine's). */
export async function unknownAppliedMigrations(db: Db, migrations: Record<string, Migration>): Promise<string[]> {
  const schema = dialectOf(db) === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  return (await appliedNames(db, schema)).filter((n) => !(n in migrations));
}

async function migratorFor(db: Db, migrations: Record<string, Migration>): Promise<{ migrator: Migrator; schema: string | undefined }> {
  let schema: string | undefined;
  if (dialectOf(db) === 'postgres') {
    // Pin the bookkeeping tables to this connection's schema: otherwise Kysely may see another
    // schema's kysely_migration table and believe this one is migrated.
    const r = await sql<{ s: string }>`select current_schema() as s`.execute(db);
    schema = r.rows[0]?.s;
  }
  const newer = (await appliedNames(db, schema)).filter((n) => !(n in migrations));
  const known = newer.length === 0 ? migrations : { ...migrations, ...Object.fromEntries(newer.map((n) => [n, appliedByNewerEngine])) };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => known },
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  return { migrator, schema };
}

/** A PostgreSQL "schema does not exist" error about a schema other than the one we migrate. */
function isVanishedSchema(error: unknown, ours: string | undefined): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== '3F000' || typeof e.message !== 'string') return false;
  return ours === undefined || !e.message.includes(`"${ours}"`);
}

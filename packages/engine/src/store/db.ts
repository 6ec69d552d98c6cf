import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database, Db, EngineConfig } from '../types.js';
import { markStoreError } from './errors.js';

export type Dialect = 'sqlite' | 'postgres';

/** An open store: the Kysely handle, its dialect, and how to close it. */
export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /**
   * PostgreSQL only: a new client outside the pool, on the same database and schema, for a
   * connection that must stay the same one (LISTEN). The caller connects and ends it.
   */
  readonly listenClient?: () => pg.Client;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** PostgreSQL only: a schema to use (created if missing) instead of the connection's default; tests use one per run. */
  readonly schema?: string;
  /** PostgreSQL only: pool size; default 10. */
  readonly maxConnections?: number;
  /** PostgreSQL only: an idle connection failed (server restart, network). The pool replaces it; without a
   * listener, node-postgres would crash the process. */
  readonly onPoolError?: (err: Error) => void;
}

/** Open SQLite (better-sqlite3, WAL, foreign keys on) or PostgreSQL (pg pool) behind one Kysely handle. */
export async function openStore(database: EngineConfig['database'], options: OpenStoreOptions = {}): Promise<Store> {
  if (database.kind === 'sqlite') {
    // The database holds token hashes and external IDs: keep its folder to the engine's own user.
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true, mode: 0o700 });
    const sqlite = new SqliteDatabase(database.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), log: markFailedQueries });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  if (schema) {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try { await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`); } finally { await admin.end(); }
  }
  const pool = new pg.Pool({
    connectionString: database.url,
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', (err) => (options.onPoolError ?? (() => {}))(err));
  // A refused or lost connection surfaces from pool.connect, outside any query: mark it as the store's.
  // (pool.query calls connect with a callback: that form is passed through untouched.)
  const connect = pool.connect.bind(pool) as (cb?: unknown) => Promise<pg.PoolClient> | undefined;
  (pool as { connect: (cb?: unknown) => unknown }).connect = (cb?: unknown) =>
    cb === undefined ? connect()!.catch((err: unknown) => { markStoreError(err); throw err; }) : connect(cb);
  try {
    await pool.query('select 1');
  } catch (err) {
    await pool.end().catch(() => {});
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot use the PostgreSQL database at ${withoutPassword(database.url)}: ${why}. Check HANGAR_DATABASE_URL and that the server is running and reachable.`);
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: markFailedQueries });
  const listenClient = () => new pg.Client({
    connectionString: database.url,
    application_name: 'hangar-engine-listen',
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  return { db, dialect: 'postgres', listenClient, close: () => db.destroy() };
}

/** Kysely's log hook sees every failed query: mark its error as the store's (see storeUnavailable). */
function markFailedQueries(event: LogEvent): void {
  if (event.level === 'error') markStoreError(event.error);
}

/** Which SQL dialect a Kysely handle speaks (for the few statements that differ, such as row locks). */
export function dialectOf(db: Db): Dialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** A database URL fit for a message: the password masked. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

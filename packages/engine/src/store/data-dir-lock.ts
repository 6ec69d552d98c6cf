import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { HangarError } from '@hangar/core';

/** An exclusive lock on a data dir, held until `release()` or until the process ends (even by kill -9). */
export interface DataDirLock {
  /** The lock file (`<dir>/engine.lock`). */
  readonly path: string;
  /** Idempotent. */
  release(): void;
}

/** Who holds a lock: written next to it (`engine.lock.json`) so a refused process can name the holder. */
export interface LockHolder {
  readonly pid: number;
  readonly startedAt: string;
  readonly hostname: string;
}

const busyCodes = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_SNAPSHOT']);

/**
 * Take the one-engine-per-data-dir lock: `<dir>/engine.lock` opened with SQLite in exclusive
 * locking mode inside a write transaction that stays open. SQLite holds that with POSIX fcntl
 * locks, so the operating system drops it when the process ends however it ends (kill -9
 * included), and no stale lock file ever blocks a restart. A second process — or a second
 * engine in this process — fails at once with ENGINE_DATA_DIR_LOCKED naming the holder.
 *
 * @example
 * const lock = lockDataDir(dataDir); // before starting anything that writes there
 * try { ... } finally { lock.release(); }
 */
export function lockDataDir(dir: string, options: { now?: () => Date } = {}): DataDirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return lockFile(join(dir, 'engine.lock'), `the data dir ${dir}`, options);
}

/** The same lock on any file path (e.g. next to a SQLite database kept outside the data dir). */
export function lockFile(path: string, what: string, options: { now?: () => Date } = {}): DataDirLock {
  const infoPath = `${path}.json`;
  // timeout 0: never wait for the holder, which may run for days.
  const db = new SqliteDatabase(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    // A write makes sure the exclusive lock is really taken on the file, not just promised.
    db.exec('CREATE TABLE IF NOT EXISTS engine_lock (taken_at TEXT)');
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && busyCodes.has(code)) throw lockedError(what, readHolder(infoPath));
    throw err;
  }
  const holder: LockHolder = { pid: process.pid, startedAt: (options.now?.() ?? new Date()).toISOString(), hostname: hostname() };
  try {
    writeFileSync(infoPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  } catch {
    // Only the message of a refused second engine needs it.
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      try { db.exec('ROLLBACK'); } catch { /* closing releases it anyway */ }
      db.close();
      try {
        if (readHolder(infoPath)?.pid === holder.pid) unlinkSync(infoPath);
      } catch {
        // already gone
      }
    },
  };
}

function readHolder(infoPath: string): LockHolder | undefined {
  try {
    const v = JSON.parse(readFileSync(infoPath, 'utf8')) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.startedAt === 'string') return { pid: v.pid, startedAt: v.startedAt, hostname: typeof v.hostname === 'string' ? v.hostname : '' };
  } catch {
    // not written yet, or unreadable
  }
  return undefined;
}

function lockedError(what: string, holder: LockHolder | undefined): HangarError {
  const who = holder
    ? `process ${holder.pid}${holder.pid === process.pid ? ' (this process)' : ''}${holder.hostname && holder.hostname !== hostname() ? ` on ${holder.hostname}` : ''}, started ${holder.startedAt}`
    : 'a process that has not written its details yet';
  return new HangarError(
    'ENGINE_DATA_DIR_LOCKED',
    `Another Hangar engine is using ${what}: ${who}. Only one engine may use a SQLite data dir at a time. Stop that engine first (or use it: \`hangar up\` may already be running), or give this one another data dir (HANGAR_DATA_DIR).`,
    { details: { ...(holder ? { pid: holder.pid, startedAt: holder.startedAt, hostname: holder.hostname } : {}) } },
  );
}

import { HangarError } from '@hangar/core';

/**
 * True when a database error is a unique (or primary key) violation, on SQLite or PostgreSQL:
 * the loser of a race to insert the same name. Map it to CONFLICT rather than a 500.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Why the store cannot be used right now: each has its own cause and fix in the message. */
export type StoreProblem = 'locked' | 'full' | 'io' | 'unreachable';

const fromStore = Symbol.for('hangar.storeError');

/**
 * Marks an error as raised by the store (openStore does it for every failed query and connection),
 * so generic network codes such as ECONNREFUSED count as "the database is unreachable" only when
 * they came from the database, never when a component's own AWS call failed.
 */
export function markStoreError(err: unknown): void {
  if (err && typeof err === 'object' && !Object.isFrozen(err)) {
    try { Object.defineProperty(err, fromStore, { value: true, enumerable: false }); } catch { /* not extensible */ }
  }
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// node-postgres reports a lost or refused connection with these messages and no code.
const pgConnectionMessages = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/;

function classify(err: unknown, marked: boolean): StoreProblem | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const code = (err as { code?: unknown }).code;
  const message = (err as { message?: unknown }).message;
  if (typeof code === 'string') {
    // SQLite (better-sqlite3 extended result codes)
    if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return 'locked';
    if (code === 'SQLITE_FULL') return 'full';
    if (/^SQLITE_(IOERR|READONLY|CANTOPEN)/.test(code)) return 'io';
    // the file system, wherever the engine writes (database, blobs, packages)
    if (code === 'ENOSPC' || code === 'EDQUOT') return 'full';
    // PostgreSQL SQLSTATE: insufficient resources, connection exceptions, shutdown, lock waits
    if (code === '53100') return 'full';
    if (code === '53200' || code === '53300' || code === '57P01' || code === '57P02' || code === '57P03' || /^08[0-9A-Z]{3}$/.test(code)) return 'unreachable';
    if (code === '55P03' || code === '40P01' || code === '40001') return 'locked';
    if (marked && networkCodes.has(code)) return 'unreachable';
  }
  if (marked && typeof message === 'string' && pgConnectionMessages.test(message)) return 'unreachable';
  return undefined;
}

/** What is wrong with the store, if `err` (or its cause) says the store is locked, full or gone. */
export function storeProblem(err: unknown): StoreProblem | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const marked = (e as Record<symbol, unknown>)[fromStore] === true || (err as Record<symbol, unknown>)[fromStore] === true;
    const p = classify(e, marked);
    if (p) return p;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

const fixes: Record<StoreProblem, string> = {
  locked: "the database is locked by another connection or program. Close whatever holds it (a sqlite3 shell, a backup or sync tool, a long transaction) and try again; nothing was changed by the failed step",
  full: "the disk holding the database is full. Free space on it (for SQLite, the disk of the engine's data dir; for PostgreSQL, the server's), then try again",
  io: "the database file could not be read or written (disk error, read-only file system or permissions). Check the disk and the data dir's permissions, then try again",
  unreachable: 'the PostgreSQL database cannot be reached or refuses connections. Check that the server is running and reachable at HANGAR_DATABASE_URL (and has connections to spare), then try again',
};

/**
 * The one mapping from a store failure to ENGINE_STORE_UNAVAILABLE (retryable), used by the HTTP
 * error handler and by the deployment runner; undefined for any other error.
 */
export function storeUnavailable(err: unknown): HangarError | undefined {
  const problem = storeProblem(err);
  if (!problem) return undefined;
  const e = err as { code?: unknown; message?: unknown };
  const cause = [typeof e.code === 'string' ? e.code : undefined, typeof e.message === 'string' ? e.message.slice(0, 200) : undefined].filter(Boolean).join(': ');
  return new HangarError('ENGINE_STORE_UNAVAILABLE', `The engine's store is unavailable${cause ? ` (${cause})` : ''}: ${fixes[problem]}.`, {
    details: { problem, ...(typeof e.code === 'string' ? { storeCode: e.code } : {}) },
    cause: err,
  });
}

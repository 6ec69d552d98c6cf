/**
 * True when a database error is a unique (or primary key) violation, on SQLite or PostgreSQL:
 * the loser of a race to insert the same name. Map it to CONFLICT rather than a 500.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * `since` values (`hangar logs --since`, the engine's `?since=`): one rule for the CLI, which
 * checks the flag before sending, and the engine, which checks the query. No dependencies, so
 * the CLI loads it without the API contract's schemas.
 */
const sinceUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * When a `since` value starts: a relative age (`30s`, `10m`, `2h`, `7d`, counted back from `now`)
 * or an ISO-8601 time (`2026-12-01T10:00:00Z`, `2026-12-01`); undefined when it is neither.
 */
export function parseSince(value: string, now: Date): Date | undefined {
  const rel = /^(\d{1,7})([smhd])$/.exec(value.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * sinceUnits[rel[2] as keyof typeof sinceUnits]);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return undefined;
  const t = Date.parse(value.trim());
  return Number.isNaN(t) ? undefined : new Date(t);
}

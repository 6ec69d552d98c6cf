/**
 * CloudWatch Logs filter patterns for unstructured events: terms all of which must occur
 * (`ERROR timeout`), quoted phrases (`"Task timed out"`), `?term` alternatives (any one of
 * them), `-term` exclusions. Matching is case-sensitive, as in CloudWatch. JSON and space-
 * delimited patterns (`{ $.x = 1 }`, `[a, b]`) are not supported and are rejected.
 */

export interface FilterPattern {
  readonly all: readonly string[];
  readonly any: readonly string[];
  readonly none: readonly string[];
}

/** Parses a pattern; returns an error message for the forms this local cloud does not support. */
export function parseFilterPattern(pattern: string): FilterPattern | { error: string } {
  const p = pattern.trim();
  if (p.startsWith('{') || p.startsWith('[')) {
    return { error: 'Invalid filter pattern: JSON and space-delimited filter patterns are not supported by the local cloud' };
  }
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of p.matchAll(re)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string);
    if (term === '') continue;
    if (m[1] === '?') any.push(term);
    else if (m[1] === '-') none.push(term);
    else all.push(term);
  }
  return { all, any, none };
}

export function matchesFilter(f: FilterPattern, message: string): boolean {
  if (f.all.some((t) => !message.includes(t))) return false;
  if (f.none.some((t) => message.includes(t))) return false;
  if (f.any.length > 0 && !f.any.some((t) => message.includes(t))) return false;
  return true;
}

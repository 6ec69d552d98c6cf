/** Wildcard matching as IAM does it: `*` any run of characters, `?` exactly one. */

function escape(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

export function globToRegExp(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'si' : 's');
}

export function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return globToRegExp(pattern, ignoreCase).test(value);
}

/** Actions are case-insensitive: `iam:Get*` matches `iam:getrole`. */
export function actionMatches(pattern: string, action: string): boolean {
  return globMatch(pattern, action, true);
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * ArnLike / Resource matching: each of the six colon-separated parts is matched on its own,
 * so a wildcard never spans a colon except inside the resource part.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p || !a) return globMatch(pattern, arn);
  return p.every((part, i) => globMatch(part, a[i] ?? ''));
}

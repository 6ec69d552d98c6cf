/**
 * Claim patterns of a CI trust: an exact value, or `*` standing for any run of characters (`/`
 * and `:` included), e.g. `repo:acme/shop:ref:refs/heads/*`. Nothing else is special.
 */
export function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`, 's').test(value);
}

/** A claim's value as text for matching: strings as they are, numbers and booleans printed; others never match. */
export function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** Is the issuer URL acceptable: https, or loopback http when the engine allows insecure issuers. */
export function issuerProblem(issuer: string, allowInsecure: boolean): string | undefined {
  let u: URL;
  try { u = new URL(issuer); } catch { return `${JSON.stringify(issuer)} is not a URL`; }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol !== 'http:') return `${issuer} is not an http(s) URL`;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback) return `${issuer} is plain http: an issuer must be https (an attacker on the path could serve its own keys)`;
  if (!allowInsecure) return `${issuer} is a loopback http issuer, accepted only when the engine runs with HANGAR_CI_ALLOW_INSECURE_ISSUERS=1 (tests, the local cloud)`;
  return undefined;
}

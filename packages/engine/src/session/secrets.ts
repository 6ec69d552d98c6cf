/** Pure helpers for session secrets, cookies and CSRF tokens. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'hangar_session';

export function newSessionSecret(): string {
  return `hs_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * The CSRF token is derived from the session secret, under a different label than the stored
 * hash: a page that can read it (same origin only) proves it is ours, and the database row alone
 * does not reveal it.
 */
export function csrfTokenFor(secret: string): string {
  return createHash('sha256').update(`hangar-csrf:${secret}`).digest('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The value of one cookie from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      try { return decodeURIComponent(v); } catch { return undefined; }
    }
  }
  return undefined;
}

export interface CookieOptions { readonly maxAgeSeconds: number; readonly secure: boolean }

/** httpOnly (no script reads it), SameSite=Strict (no cross-site request carries it), Path=/. */
export function sessionCookie(value: string, o: CookieOptions): string {
  const parts = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`];
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie('', { maxAgeSeconds: 0, secure });
}

import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A prefixed random id such as `org_3k9x…` (16 characters of base36, ~82 bits). */
export function newId(prefix: string): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += alphabet[b % 36];
  return `${prefix}_${out}`;
}

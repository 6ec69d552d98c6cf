import { randomBytes, randomInt, randomUUID } from 'node:crypto';

// AWS key and entity ids use an upper-case base32-like alphabet after a four-letter prefix.
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** AKIA… (long-term) or ASIA… (session) access key ids: 20 characters. */
export function newAccessKeyId(kind: 'AKIA' | 'ASIA'): string {
  return kind + pick(ID_ALPHABET, 16);
}

/** Secret access keys are 40 characters. */
export function newSecretAccessKey(): string {
  return pick(SECRET_ALPHABET, 40);
}

/** AIDA… user ids, AROA… role ids, ANPA… policy ids: 21 characters. */
export function newEntityId(prefix: 'AIDA' | 'AROA' | 'ANPA'): string {
  return prefix + pick(ID_ALPHABET, 17);
}

export function newSessionToken(): string {
  return 'IQoJb3JpZ2luX2VjE' + randomBytes(240).toString('base64');
}

export function newAccountId(): string {
  return String(randomInt(1, 10)) + String(randomInt(0, 1e11)).padStart(11, '0');
}

export function newRequestId(): string {
  return randomUUID();
}

/** AWS timestamps without milliseconds: 2024-01-01T00:00:00Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

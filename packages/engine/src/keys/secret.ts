/**
 * HANGAR_SECRET_KEY: the one secret every engine on a database shares. It never signs anything
 * itself; it encrypts the signing keys stored in the database (AES-256-GCM, key derived with
 * HKDF-SHA256). Unset, the engine generates one and keeps it in `<dataDir>/secret-key` (mode 0600):
 * enough for one engine; a second engine on the same database must be given the same value.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HangarError } from '@hangar/core';

export const SECRET_KEY_FORMAT = '64 hex characters or the base64 of 32 random bytes (`openssl rand -hex 32`)';

/** The 32 bytes of a secret key written as hex or base64(url), or undefined when it is neither. */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

export function secretKeyFile(dataDir: string): string {
  return join(dataDir, 'secret-key');
}

/** Where the secret came from (said in messages; never the value). */
export type SecretSource = 'HANGAR_SECRET_KEY' | 'generated' | 'data-dir';

export interface SecretKey {
  /** A one-way id of the secret (safe to store and print): which secret encrypted a row. */
  readonly id: string;
  readonly source: SecretSource;
  readonly file: string;
  encrypt(plain: string, aad: string): string;
  /** The plain text, or undefined when the row does not authenticate (another secret, or altered). */
  decrypt(sealed: string, aad: string): string | undefined;
}

export function secretKeyFrom(raw: Buffer, source: SecretSource, file: string): SecretKey {
  const key = Buffer.from(hkdfSync('sha256', raw, Buffer.from('hangar'), Buffer.from('hangar signing keys v1'), 32));
  const id = createHmac('sha256', key).update('hangar secret key id').digest('hex').slice(0, 16);
  return {
    id, source, file,
    encrypt(plain, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return [iv, ct, c.getAuthTag()].map((b) => b.toString('base64url')).join('.');
    },
    decrypt(sealed, aad) {
      const [iv, ct, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      if (!iv || !ct || !tag || iv.length !== 12 || tag.length !== 16) return undefined;
      try {
        const d = createDecipheriv('aes-256-gcm', key, iv);
        d.setAAD(Buffer.from(aad));
        d.setAuthTag(tag);
        return Buffer.concat([d.update(ct), d.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The engine's secret: HANGAR_SECRET_KEY when set (config.secretKey, already validated), else the
 * one kept in the data dir, created on first use.
 */
export async function loadSecretKey(options: { secretKey?: string; dataDir: string }): Promise<SecretKey> {
  const file = secretKeyFile(options.dataDir);
  if (options.secretKey !== undefined) {
    const raw = parseSecretKey(options.secretKey);
    if (!raw) throw new HangarError('ENGINE_CONFIG_INVALID', `HANGAR_SECRET_KEY: expected ${SECRET_KEY_FORMAT}.`);
    return secretKeyFrom(raw, 'HANGAR_SECRET_KEY', file);
  }
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let source: SecretSource = 'data-dir';
  if (text === undefined) {
    const fresh = randomBytes(32).toString('hex');
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
      text = fresh;
      source = 'generated';
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      text = await readFile(file, 'utf8');
    }
  }
  const raw = parseSecretKey(text);
  if (!raw) {
    throw new HangarError('ENGINE_CONFIG_INVALID', `${file} does not hold a secret key (${SECRET_KEY_FORMAT}). Restore it from a backup, or set HANGAR_SECRET_KEY to the value the other engines on this database use.`);
  }
  return secretKeyFrom(raw, source, file);
}

/** The secret this engine would use, without creating one (`hangar-engine check` changes nothing); undefined: it would be generated. */
export async function peekSecretKey(options: { secretKey?: string; dataDir: string }): Promise<SecretKey | undefined> {
  const file = secretKeyFile(options.dataDir);
  if (options.secretKey !== undefined) {
    const raw = parseSecretKey(options.secretKey);
    return raw ? secretKeyFrom(raw, 'HANGAR_SECRET_KEY', file) : undefined;
  }
  try {
    const raw = parseSecretKey(await readFile(file, 'utf8'));
    return raw ? secretKeyFrom(raw, 'data-dir', file) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

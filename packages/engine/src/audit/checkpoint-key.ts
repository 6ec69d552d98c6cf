/**
 * The Ed25519 key that signs audit checkpoints: separate from the OIDC key, kept in
 * `<dataDir>/audit/checkpoint-key.pem` (mode 0600, folder 0700), created on first start.
 *
 * The keys the engine trusts and publishes come from the data dir only, never from the store, so
 * someone who can write the database but not the data dir cannot add a key and re-sign a
 * rewritten log: the current key, plus every PEM (public, or a retired private key) in
 * `<dataDir>/audit/trusted-keys/`. Rotation: move `checkpoint-key.pem` into `trusted-keys/` and
 * restart; a new key (new key id) is created, and old checkpoints stay verifiable. Engines sharing
 * a PostgreSQL store share one key: copy the same `checkpoint-key.pem` into each data dir.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyIdOf, type AuditPublicKey } from '@hangar/core/audit';

export interface CheckpointSigner {
  readonly keyId: string;
  readonly publicKey: string;
  readonly createdAt: string;
  sign(material: Buffer): string;
}

export function checkpointKeyFile(dataDir: string): string {
  return join(dataDir, 'audit', 'checkpoint-key.pem');
}

export function trustedKeysDir(dataDir: string): string {
  return join(dataDir, 'audit', 'trusted-keys');
}

export async function loadCheckpointSigner(dataDir: string): Promise<CheckpointSigner> {
  const file = checkpointKeyFile(dataDir);
  let pem: string | undefined;
  try {
    pem = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem === undefined) {
    const fresh = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await mkdir(join(dataDir, 'audit'), { recursive: true, mode: 0o700 });
    try {
      await writeFile(file, fresh, { mode: 0o600, flag: 'wx' });
      pem = fresh;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      pem = await readFile(file, 'utf8'); // another engine on this data dir made it first
    }
  }
  const privateKey: KeyObject = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} does not hold an Ed25519 private key; move it away and restart to create a new one`);
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const createdAt = (await stat(file)).mtime.toISOString();
  return { keyId: keyIdOf(publicKey), publicKey, createdAt, sign: (material) => sign(null, material, privateKey).toString('base64') };
}

/** The current key first, then each Ed25519 key in `trusted-keys/` (a file that is not one is skipped, with a warning). */
export async function trustedCheckpointKeys(dataDir: string, current: CheckpointSigner, warn: (msg: string, fields: Record<string, unknown>) => void): Promise<AuditPublicKey[]> {
  const keys: AuditPublicKey[] = [{ keyId: current.keyId, algorithm: 'Ed25519', publicKey: current.publicKey, createdAt: current.createdAt }];
  const dir = trustedKeysDir(dataDir);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.pem')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const name of names) {
    try {
      const key = createPublicKey(await readFile(join(dir, name), 'utf8'));
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
      const publicKey = key.export({ type: 'spki', format: 'pem' }).toString();
      const keyId = keyIdOf(publicKey);
      if (!keys.some((k) => k.keyId === keyId)) keys.push({ keyId, algorithm: 'Ed25519', publicKey, createdAt: (await stat(join(dir, name))).mtime.toISOString() });
    } catch (err) {
      warn('a file in the trusted audit keys folder is not an Ed25519 key; it is ignored', { file: join(dir, name), err });
    }
  }
  return keys;
}

/**
 * The Ed25519 keys that sign audit checkpoints: separate from the OIDC key, kept in the keyring
 * (the database, private halves encrypted with HANGAR_SECRET_KEY, see keys/keyring.ts), so every
 * engine on one database signs with the same key and verifies the others' checkpoints.
 *
 * What the engine trusts: the keys that authenticate under its secret (a row written by someone
 * who can write the database but does not hold HANGAR_SECRET_KEY never does, so the database alone
 * still cannot vouch for itself), plus every public PEM in `<dataDir>/audit/trusted-keys/`.
 * Rotation (`hangar-engine rotate-keys`) makes a new current key; retired ones stay trusted for good,
 * since old checkpoints must keep verifying. Engines before the shared keys kept the key in
 * `<dataDir>/audit/checkpoint-key.pem`: it is imported into the database at the first start.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { keyIdOf, type AuditPublicKey } from '@hangar/core/audit';
import type { KeyKind, Keyring, SigningKey } from '../keys/index.js';

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

function pairOf(privatePem: string): { privateKey: KeyObject; publicKey: string } {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return { privateKey, publicKey: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
}

/** Ed25519 key pairs as PEM text; the kid is keyIdOf(public PEM). */
export function checkpointKeyKind(dataDir: string): KeyKind {
  return {
    async generate() {
      const privateKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const { publicKey } = pairOf(privateKey);
      return { kid: keyIdOf(publicKey), algorithm: 'Ed25519', publicKey, privateKey };
    },
    async legacy() {
      const file = checkpointKeyFile(dataDir);
      let privateKey: string;
      try {
        privateKey = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      let publicKey: string;
      try {
        publicKey = pairOf(privateKey).publicKey;
      } catch {
        throw new Error(`${file} does not hold an Ed25519 private key; move it away and restart`);
      }
      return { file, kid: keyIdOf(publicKey), algorithm: 'Ed25519', publicKey, privateKey };
    },
  };
}

/** Signs with the keyring's current audit key (read on each use, so a rotation elsewhere is picked up). */
export function keyringCheckpointSigner(keyring: Keyring): () => Promise<CheckpointSigner> {
  const loaded = new Map<string, KeyObject>();
  return async () => {
    const k = await keyring.current('audit');
    let privateKey = loaded.get(k.kid);
    if (!privateKey) {
      privateKey = pairOf(k.privateKey).privateKey;
      loaded.set(k.kid, privateKey);
    }
    const key = privateKey;
    return { keyId: k.kid, publicKey: k.publicKey, createdAt: k.createdAt, sign: (material) => sign(null, material, key).toString('base64') };
  };
}

const publicOf = (k: SigningKey): AuditPublicKey => ({ keyId: k.kid, algorithm: 'Ed25519', publicKey: k.publicKey, createdAt: k.createdAt });

/** The current key first, the keyring's retired keys, then each Ed25519 key in `trusted-keys/` (a file that is not one is skipped, with a warning). */
export async function trustedCheckpointKeys(dataDir: string, stored: readonly SigningKey[], warn: (msg: string, fields: Record<string, unknown>) => void): Promise<AuditPublicKey[]> {
  const keys: AuditPublicKey[] = stored.map(publicOf);
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

/**
 * The Ed25519 key that signs audit checkpoints: separate from the OIDC key, kept in
 * `<dataDir>/audit/checkpoint-key.pem` (mode 0600, folder 0700), created on first start. Its
 * public half goes into `audit_keys` so every engine sharing the store serves it; the key id is
 * a fingerprint, so a new key (rotation: move the file away and restart) gets a new id while old
 * checkpoints stay verifiable with the old public key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keyIdOf } from '@hangar/core/audit';
import type { Clock, Db } from '../types.js';
import './checkpoint-tables.js';

export interface CheckpointSigner {
  readonly keyId: string;
  readonly publicKey: string;
  sign(material: Buffer): string;
}

export function checkpointKeyFile(dataDir: string): string {
  return join(dataDir, 'audit', 'checkpoint-key.pem');
}

export async function loadCheckpointSigner(deps: { db: Db; clock: Clock; dataDir: string }): Promise<CheckpointSigner> {
  const file = checkpointKeyFile(deps.dataDir);
  let pem: string | undefined;
  try {
    pem = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem === undefined) {
    const fresh = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await mkdir(join(deps.dataDir, 'audit'), { recursive: true, mode: 0o700 });
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
  const keyId = keyIdOf(publicKey);
  await deps.db.insertInto('audit_keys')
    .values({ key_id: keyId, algorithm: 'Ed25519', public_key: publicKey, created_at: deps.clock.now().toISOString() })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
  return { keyId, publicKey, sign: (material) => sign(null, material, privateKey).toString('base64') };
}

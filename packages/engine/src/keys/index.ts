/**
 * Keys: the signing keys shared by every engine on the database (keyring.ts), encrypted with
 * HANGAR_SECRET_KEY (secret.ts). The OIDC issuer (providers) and the audit checkpoints use them;
 * `hangar-engine rotate-keys` rotates them. Wired by createEngine (engine.ts).
 */
import type { Feature } from '../types.js';
import { keysMigrations } from './tables.js';

export { createKeyring, DEFAULT_OVERLAP_MS, PURPOSES } from './keyring.js';
export type { KeyKind, KeyMaterial, KeyPurpose, Keyring, SigningKey } from './keyring.js';

/** The feature contributes its table; the keyring itself is prepared by createEngine before any feature starts. */
export function createKeysFeature(): Feature {
  return { name: 'keys', migrations: keysMigrations, register: async () => {} };
}

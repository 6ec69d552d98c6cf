/**
 * The keys feature's table: the engine's signing keys (OIDC tokens, audit checkpoints), shared by
 * every engine on the database. The private half is encrypted (AES-256-GCM under a key derived
 * from HANGAR_SECRET_KEY); the public half and the key's identity are bound to it as associated
 * data, so a row written by someone without the secret never authenticates and is never trusted.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export type KeyPurpose = 'oidc' | 'audit';

export interface SigningKeysTable {
  /** OIDC: the JWK thumbprint; audit: keyIdOf(public PEM). */
  kid: string;
  purpose: KeyPurpose;
  /** RS256 (OIDC) or Ed25519 (audit). */
  algorithm: string;
  /** OIDC: the public JWK as JSON text; audit: the SPKI PEM. */
  public_key: string;
  /** base64url(iv).base64url(ciphertext).base64url(tag) */
  encrypted_private_key: string;
  /** Which HANGAR_SECRET_KEY encrypted it (a one-way id), so a wrong secret is named, not guessed. */
  secret_id: string;
  /** generated, or imported from a data-dir file (its path). */
  origin: string;
  created_at: string;
  /** null while this is the purpose's current key (at most one such row per purpose). */
  retired_at: string | null;
  /** OIDC: the JWKS keeps a retired key until then; audit: null (kept for verification for good). */
  publish_until: string | null;
}

declare module '../types.js' {
  interface Database {
    signing_keys: SigningKeysTable;
  }
}

export const keysMigrations: Record<string, Migration> = {
  // Additive: a new table; the previous release never reads it (see docs/self-host.md, Upgrades).
  '2026_12_01_keys_signing_keys': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('encrypted_private_key', 'text', (c) => c.notNull())
        .addColumn('secret_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .addColumn('publish_until', 'text')
        .execute();
      // One current key per purpose: concurrent first starts insert-if-absent and all read the winner.
      await db.schema.createIndex('signing_keys_one_current').on('signing_keys').column('purpose').unique()
        .where(sql.ref('retired_at'), 'is', null).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('signing_keys').execute();
    },
  },
};

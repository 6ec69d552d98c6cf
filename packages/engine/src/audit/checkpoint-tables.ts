import type { Migration } from 'kysely';

/** Signed checkpoints of each org's audit log (CloudTrail digest-file style), chained by signature. */
export interface AuditCheckpointsTable {
  org_id: string;
  /** 1, 2, 3… per organisation, with no gaps. */
  seq: number;
  id: string;
  ts: string;
  /** The seq of the org's head event when signed (0: empty log). */
  event_count: number;
  head_hash: string;
  /** The previous checkpoint's signature ('' for the first). */
  prev_signature: string;
  key_id: string;
  /** Ed25519, base64, over checkpointMaterial(). */
  signature: string;
}

/** Public halves of the checkpoint signing keys (every engine sharing the store adds its own). */
export interface AuditKeysTable { key_id: string; algorithm: string; public_key: string; created_at: string }

declare module '../types.js' {
  interface Database {
    audit_checkpoints: AuditCheckpointsTable;
    audit_keys: AuditKeysTable;
  }
}

/** 0004: signed audit checkpoints and their public keys. */
export const auditCheckpointsMigration: Migration = {
  async up(db) {
    await db.schema.createTable('audit_checkpoints')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('ts', 'text', (c) => c.notNull())
      .addColumn('event_count', 'integer', (c) => c.notNull())
      .addColumn('head_hash', 'text', (c) => c.notNull())
      .addColumn('prev_signature', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_checkpoints_pk', ['org_id', 'seq'])
      .execute();
    await db.schema.createTable('audit_keys')
      .addColumn('key_id', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_keys').execute();
    await db.schema.dropTable('audit_checkpoints').execute();
  },
};

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

declare module '../types.js' {
  interface Database {
    audit_checkpoints: AuditCheckpointsTable;
  }
}

/** 0004: signed audit checkpoints. Their keys are NOT in the store (see checkpoint-key.ts): a database alone must not be able to vouch for itself. */
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
  },
  async down(db) {
    await db.schema.dropTable('audit_checkpoints').execute();
  },
};

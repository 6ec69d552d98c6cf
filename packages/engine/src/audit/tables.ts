import type { Migration } from 'kysely';

export interface AuditEventsTable {
  org_id: string;
  /** 1, 2, 3… per organisation, with no gaps. */
  seq: number;
  id: string;
  ts: string;
  kind: string;
  actor: string;
  subject: string | null;
  /** Canonical JSON (sorted keys) of the event's facts. */
  data: string;
  /** The previous event's hash in this org ('' for the first). */
  prev_hash: string;
  /** sha256 over this event's canonical fields and prev_hash. */
  hash: string;
}

/** The newest event of each org; appends lock this row, so a chain never forks. */
export interface AuditHeadsTable { org_id: string; seq: number; hash: string }

declare module '../types.js' {
  interface Database {
    audit_events: AuditEventsTable;
    audit_heads: AuditHeadsTable;
  }
}

/** 0003: the append-only, hash-chained audit log. */
export const auditMigration: Migration = {
  async up(db) {
    await db.schema.createTable('audit_events')
      .addColumn('org_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('ts', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('audit_events_pk', ['org_id', 'seq'])
      .execute();
    await db.schema.createTable('audit_heads')
      .addColumn('org_id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_heads').execute();
    await db.schema.dropTable('audit_events').execute();
  },
};

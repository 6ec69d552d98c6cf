import type { Migration } from 'kysely';
import type { Role } from '../types.js';

export interface InvitationsTable {
  id: string;
  org_id: string;
  /** Normalised (trimmed, lower case). */
  email: string;
  role: Role;
  /** sha256 of the code, hex; the code itself is never stored. */
  code_hash: string;
  /** Actor name of whoever invited. */
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_user_id: string | null;
  revoked_at: string | null;
}

declare module '../types.js' {
  interface Database { invitations: InvitationsTable }
}

/** 0040: invitations to join an organisation (codes stored hashed). */
export const invitationsMigration: Migration = {
  async up(db) {
    await db.schema.createTable('invitations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('accepted_at', 'text')
      .addColumn('accepted_user_id', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('invitations_org_idx').on('invitations').columns(['org_id', 'created_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('invitations').execute();
  },
};

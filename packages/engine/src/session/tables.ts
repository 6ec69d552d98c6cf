/** The dashboard's sign-in sessions (migration range 0300-0399). Only a hash of the session secret is stored. */
import type { Kysely, Migration } from 'kysely';

export interface SessionsTable {
  /** A public handle (`ses_…`), safe to log; the secret lives only in the browser's cookie. */
  id: string;
  /** sha256 (hex) of the cookie's secret. */
  secret_hash: string;
  user_id: string;
  /** The API token used to sign in: revoking it ends this session too. */
  token_id: string;
  created_at: string;
  expires_at: string;
}

/** Which orgs a session opens, each through the (org-bound) API token that was signed in with. */
export interface SessionOrgsTable {
  session_id: string;
  org_id: string;
  token_id: string;
  created_at: string;
}

declare module '../types.js' {
  interface Database { sessions: SessionsTable; session_orgs: SessionOrgsTable }
}

export const sessionMigrations: Record<string, Migration> = {
  '0300_sessions': {
     
    async up(db: Kysely<any>) {
      await db.schema.createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();
    },
     
    async down(db: Kysely<any>) {
      await db.schema.dropTable('sessions').execute();
    },
  },
  // A token is bound to one org, so a session opens only the orgs whose tokens signed in to it.
  '0301_session_orgs': {
     
    async up(db: Kysely<any>) {
      await db.schema.createTable('session_orgs')
        .addColumn('session_id', 'text', (c) => c.notNull().references('sessions.id').onDelete('cascade'))
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('token_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('session_orgs_pk', ['session_id', 'org_id'])
        .execute();
    },
     
    async down(db: Kysely<any>) {
      await db.schema.dropTable('session_orgs').execute();
    },
  },
};

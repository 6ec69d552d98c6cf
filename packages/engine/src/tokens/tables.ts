import { sql, type Migration } from 'kysely';

export interface ApiTokensTable {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  /** sha256 of the whole token, hex; the token itself is never stored. */
  hash: string;
  /** The first characters, for people to tell tokens apart ("hgr_AbCd"). */
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

declare module '../types.js' {
  interface Database { api_tokens: ApiTokensTable }
}

/** 0002: API tokens, stored as hashes only. */
export const tokensMigration: Migration = {
  async up(db) {
    await db.schema.createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await db.schema.createIndex('api_tokens_org_user_idx').on('api_tokens').columns(['org_id', 'user_id']).execute();
    // One live token per name and user in an org, so "token:<name>" attributes to one token.
    await sql`create unique index api_tokens_live_name_idx on api_tokens (org_id, user_id, name) where revoked_at is null`.execute(db);
  },
  async down(db) {
    await db.schema.dropTable('api_tokens').execute();
  },
};

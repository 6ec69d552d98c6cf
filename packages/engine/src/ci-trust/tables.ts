import type { Migration } from 'kysely';
import type { Role } from '../types.js';

export interface CiTrustsTable {
  id: string;
  org_id: string;
  name: string;
  issuer: string;
  audience: string;
  /** Pattern for the `sub` claim: exact, or `*` globs. */
  subject: string;
  /** JSON object: extra claim name -> pattern. */
  claims: string;
  role: Role;
  app: string;
  stage: string;
  created_by: string;
  created_at: string;
}

/** Short-lived Hangar tokens issued by `/ci/exchange`, stored as hashes only. */
export interface CiTokensTable {
  id: string;
  org_id: string;
  trust_id: string;
  hash: string;
  role: Role;
  app: string;
  stage: string;
  /** The OIDC token's `sub`, for attribution. */
  subject: string;
  created_at: string;
  expires_at: string;
}

declare module '../types.js' {
  interface Database { ci_trusts: CiTrustsTable; ci_tokens: CiTokensTable }
}

/** 0041: CI trusts (OIDC issuers an org trusts) and the short-lived tokens exchanged under them. */
export const ciTrustMigration: Migration = {
  async up(db) {
    await db.schema.createTable('ci_trusts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('audience', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('claims', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('app', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('ci_trusts_org_name_uq', ['org_id', 'name'])
      .execute();
    await db.schema.createTable('ci_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('trust_id', 'text', (c) => c.notNull().references('ci_trusts.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('app', 'text', (c) => c.notNull())
      .addColumn('stage', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ci_tokens_expires_idx').on('ci_tokens').column('expires_at').execute();
  },
  async down(db) {
    await db.schema.dropTable('ci_tokens').execute();
    await db.schema.dropTable('ci_trusts').execute();
  },
};

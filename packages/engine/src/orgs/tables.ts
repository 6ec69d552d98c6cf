import { sql, type Migration } from 'kysely';
import type { Role } from '../types.js';

export interface OrgsTable { id: string; name: string; created_at: string }
export interface UsersTable { id: string; email: string; name: string; created_at: string }
export interface MembershipsTable { org_id: string; user_id: string; role: Role; created_at: string }

declare module '../types.js' {
  interface Database {
    orgs: OrgsTable;
    users: UsersTable;
    memberships: MembershipsTable;
  }
}

/** 0001: organisations, users and who belongs where with which role. */
export const orgsMigration: Migration = {
  async up(db) {
    await db.schema.createTable('orgs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createTable('memberships')
      .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull().check(sqlRoleCheck()))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['org_id', 'user_id'])
      .execute();
    await db.schema.createIndex('memberships_user_idx').on('memberships').column('user_id').execute();
  },
  async down(db) {
    await db.schema.dropTable('memberships').execute();
    await db.schema.dropTable('users').execute();
    await db.schema.dropTable('orgs').execute();
  },
};

function sqlRoleCheck() {
  return sql`role in ('owner', 'admin', 'deployer', 'viewer')`;
}

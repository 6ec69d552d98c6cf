/** The providers feature's tables and its migration (0100-0199 range). Timestamps: ISO-8601 UTC text. */
import type { Kysely, Migration } from 'kysely';

export interface ProvidersTable {
  id: string;
  org_id: string;
  name: string;
  mode: 'assume-role' | 'web-identity';
  role_arn: string | null;
  account_id: string | null;
  region: string;
  session_duration_seconds: number;
  /** Engine-generated, never changed. An identifier the role checks, not a credential. */
  external_id: string;
  status: 'pending' | 'verified' | 'failed';
  /** JSON text: the last verification's checks (never credentials). */
  last_verification: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export type LinkScope = 'org' | 'app' | 'app-stage' | 'instance';

export interface ProviderLinksTable {
  id: string;
  org_id: string;
  provider_id: string;
  scope: LinkScope;
  /** "org" | "app:<appId>" | "app-stage:<appId>:<stage>" | "instance:<instanceId>": unique per org
   * (NULLs never compare equal in a unique index, so the scope is spelled out). */
  scope_key: string;
  app_id: string | null;
  stage: string | null;
  instance_id: string | null;
  created_at: string;
  created_by: string;
}

/** Public halves of the OIDC signing keys (any engine process serves the JWKS from here).
 * Private halves live only in the data dir, mode 0600. */
export interface OidcKeysTable {
  kid: string;
  public_jwk: string;
  created_at: string;
}

declare module '../types.js' {
  interface Database {
    providers: ProvidersTable;
    provider_links: ProviderLinksTable;
    oidc_keys: OidcKeysTable;
  }
}

export const providersMigrations: Record<string, Migration> = {
  '0100_providers': {
     
    async up(db: Kysely<any>) {
      await db.schema.createTable('providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('role_arn', 'text')
        .addColumn('account_id', 'text')
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('session_duration_seconds', 'integer', (c) => c.notNull().defaultTo(900))
        .addColumn('external_id', 'text', (c) => c.notNull().unique())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('last_verification', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('providers_org_name_unique', ['org_id', 'name'])
        .execute();
      await db.schema.createTable('provider_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('provider_id', 'text', (c) => c.notNull().references('providers.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('scope_key', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text')
        .addColumn('stage', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('provider_links_scope_unique', ['org_id', 'scope_key'])
        .execute();
      await db.schema.createIndex('provider_links_provider_idx').on('provider_links').column('provider_id').execute();
      await db.schema.createTable('oidc_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
     
    async down(db: Kysely<any>) {
      await db.schema.dropTable('oidc_keys').execute();
      await db.schema.dropTable('provider_links').execute();
      await db.schema.dropTable('providers').execute();
    },
  },
};

import { type Kysely, type Migration } from 'kysely';

export interface ManifestsTable {
  id: string;
  org_id: string;
  /** encodeEntries(): JSON array of [path, sha256, size, mode], sorted by path. */
  entries: string;
  files: number;
  bytes: number | string;
  /** 1 once every blob it lists is held by the org (checked, not assumed). */
  complete: number;
  created_at: string;
}

/** Which org holds (or was told to upload) which blob: an org sees only its own hashes. */
export interface OrgBlobsTable {
  org_id: string;
  sha256: string;
  /** The size a manifest declared; the upload must match it. */
  size: number | string;
  /** 0 = declared in a manifest, not uploaded yet; 1 = uploaded and verified by this org. */
  stored: number;
  created_at: string;
}

declare module '../types.js' {
  interface Database {
    manifests: ManifestsTable;
    org_blobs: OrgBlobsTable;
  }
}

export const sourceMigrations: Record<string, Migration> = {
  '0210_source_cache': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('manifests')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('entries', 'text', (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('manifests_pk', ['org_id', 'id'])
        .execute();
      await db.schema
        .createTable('org_blobs')
        .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('stored', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('org_blobs_pk', ['org_id', 'sha256'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('org_blobs').execute();
      await db.schema.dropTable('manifests').execute();
    },
  },
};

/** The providers feature's queries. Every one is scoped by org_id: another org's rows do not exist here. */
import type { Clock, Db } from '../types.js';
import { createAppsRepo } from '../deployments/apps-repo.js';
import type { LinkScope, ProviderLinksTable, ProvidersTable } from './tables.js';

export type ProviderRow = ProvidersTable;
export type LinkRowFull = ProviderLinksTable;

export function createRepo(db: Db, clock: Clock) {
  // Apps and instances belong to DEPLOYMENTS: read and created through its repo, never queried here.
  const apps = createAppsRepo(db, clock);
  return {
    async list(orgId: string): Promise<ProviderRow[]> {
      return db.selectFrom('providers').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
    },
    /** By id (`prv_…`) or by name; names cannot contain "_" so the two never collide. */
    async find(orgId: string, idOrName: string): Promise<ProviderRow | undefined> {
      return db.selectFrom('providers').selectAll()
        .where('org_id', '=', orgId)
        .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
        .executeTakeFirst();
    },
    async insert(row: ProviderRow): Promise<void> {
      await db.insertInto('providers').values(row).execute();
    },
    async update(orgId: string, id: string, patch: Partial<ProviderRow>): Promise<void> {
      await db.updateTable('providers').set(patch).where('org_id', '=', orgId).where('id', '=', id).execute();
    },
    async remove(orgId: string, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom('provider_links').where('org_id', '=', orgId).where('provider_id', '=', id).execute();
        await tx.deleteFrom('providers').where('org_id', '=', orgId).where('id', '=', id).execute();
      });
    },
    async linksOf(orgId: string, providerId: string): Promise<LinkRowFull[]> {
      return db.selectFrom('provider_links').selectAll().where('org_id', '=', orgId).where('provider_id', '=', providerId).orderBy('created_at').execute();
    },
    async linksOfOrg(orgId: string): Promise<LinkRowFull[]> {
      return db.selectFrom('provider_links').selectAll().where('org_id', '=', orgId).execute();
    },
    async linkByScope(orgId: string, scopeKey: string): Promise<LinkRowFull | undefined> {
      return db.selectFrom('provider_links').selectAll().where('org_id', '=', orgId).where('scope_key', '=', scopeKey).executeTakeFirst();
    },
    async insertLink(row: LinkRowFull): Promise<void> {
      await db.insertInto('provider_links').values(row).execute();
    },
    async removeLink(orgId: string, providerId: string, linkId: string): Promise<number> {
      const r = await db.deleteFrom('provider_links').where('org_id', '=', orgId).where('provider_id', '=', providerId).where('id', '=', linkId).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    appByNameOrId: apps.byNameOrId,
    appNames: (orgId: string, ids: string[]) => apps.names(orgId, ids),
    /** Links may name an app before its first deploy; the row is created the way DEPLOYMENTS does. */
    ensureApp: (orgId: string, name: string) => apps.ensure(orgId, name),
    instance: apps.instance,
  };
}
export type Repo = ReturnType<typeof createRepo>;
export type { LinkScope };

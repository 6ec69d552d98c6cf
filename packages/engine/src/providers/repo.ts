/** The providers feature's queries. Every one is scoped by org_id: another org's rows do not exist here. */
import type { Db } from '../types.js';
import type { LinkScope, ProviderLinksTable, ProvidersTable } from './tables.js';
import { newId } from './session-params.js';

export type ProviderRow = ProvidersTable;
export type LinkRowFull = ProviderLinksTable;

/** The columns of DEPLOYMENTS' tables this feature reads (their migration 0050 creates them). */
interface AppsT { id: string; org_id: string; name: string; created_at: string }
interface InstancesT { id: string; org_id: string; app_id: string; stage: string; name: string }
type Shared = { apps: AppsT; instances: InstancesT };

export function createRepo(db: Db) {
  const shared = () => db.withTables<Shared>();
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
    async appByNameOrId(orgId: string, nameOrId: string): Promise<AppsT | undefined> {
      const q = shared().selectFrom('apps').selectAll().where('org_id', '=', orgId);
      return (await q.where('name', '=', nameOrId).executeTakeFirst()) ?? (await q.where('id', '=', nameOrId).executeTakeFirst());
    },
    async appNames(orgId: string, ids: string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const rows = await shared().selectFrom('apps').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', ids).execute();
      return new Map(rows.map((r) => [r.id, r.name]));
    },
    /** Links may name an app before its first deploy; the row is created the way DEPLOYMENTS does. */
    async ensureApp(orgId: string, name: string, now: string): Promise<AppsT> {
      const existing = await this.appByNameOrId(orgId, name);
      if (existing) return existing;
      const row = { id: newId('app'), org_id: orgId, name, created_at: now };
      await shared().insertInto('apps').values(row).onConflict((oc) => oc.columns(['org_id', 'name']).doNothing()).execute();
      return (await this.appByNameOrId(orgId, name))!;
    },
    async instance(orgId: string, id: string): Promise<InstancesT | undefined> {
      return shared().selectFrom('instances').select(['id', 'org_id', 'app_id', 'stage', 'name']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    },
  };
}
export type Repo = ReturnType<typeof createRepo>;
export type { LinkScope };

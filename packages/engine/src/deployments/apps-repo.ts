/**
 * DEPLOYMENTS owns the `apps` and `instances` tables (migration 0050). Other features (providers
 * linking a provider to an app or an instance) read and create them only through this repo, so no
 * file outside this folder reaches into them.
 */
import type { Selectable } from 'kysely';
import type { Clock, Db } from '../types.js';
import { randomId } from './ids.js';
import type { AppsTable, InstancesTable } from './tables.js';
import './tables.js';

export type AppRow = Selectable<AppsTable>;
export type InstanceRef = Pick<Selectable<InstancesTable>, 'id' | 'org_id' | 'app_id' | 'stage' | 'name'>;

export function createAppsRepo(db: Db, clock: Clock) {
  async function byName(orgId: string, name: string): Promise<AppRow | undefined> {
    return db.selectFrom('apps').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
  }
  return {
    byName,
    /** By name, else by id. */
    async byNameOrId(orgId: string, nameOrId: string): Promise<AppRow | undefined> {
      return (await byName(orgId, nameOrId)) ?? db.selectFrom('apps').selectAll().where('org_id', '=', orgId).where('id', '=', nameOrId).executeTakeFirst();
    },
    /** The app's row, created on first use (a deploy, or a provider linked to an app before its first deploy). */
    async ensure(orgId: string, name: string): Promise<AppRow> {
      const existing = await byName(orgId, name);
      if (existing) return existing;
      await db.insertInto('apps').values({ id: randomId('app'), org_id: orgId, name, created_at: clock.now().toISOString() })
        .onConflict((oc) => oc.columns(['org_id', 'name']).doNothing()).execute();
      return (await byName(orgId, name))!;
    },
    /** id → name for the org's apps among `ids`. */
    async names(orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('apps').select(['id', 'name']).where('org_id', '=', orgId).where('id', 'in', [...ids]).execute();
      return new Map(rows.map((r) => [r.id, r.name]));
    },
    async instance(orgId: string, id: string): Promise<InstanceRef | undefined> {
      return db.selectFrom('instances').select(['id', 'org_id', 'app_id', 'stage', 'name']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    },
  };
}
export type AppsRepo = ReturnType<typeof createAppsRepo>;

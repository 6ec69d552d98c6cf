/**
 * PLATFORM owns `orgs`, `users`, `memberships` (this folder) and `api_tokens` (../tokens). Other
 * features (the auth hook, the dashboard session) read them only through these functions, so no
 * file outside the platform reaches into its tables.
 */
import type { Db, Role } from '../types.js';
import './tables.js';
import '../tokens/tables.js';

/** The user's role in the org, or undefined when they are not a member. */
export async function membershipRole(db: Db, orgId: string, userId: string): Promise<Role | undefined> {
  const m = await db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
  return m?.role;
}

export async function userById(db: Db, userId: string): Promise<{ id: string; name: string; email: string } | undefined> {
  return db.selectFrom('users').select(['id', 'name', 'email']).where('id', '=', userId).executeTakeFirst();
}

/** The orgs among `orgIds` the user belongs to, with their role there, by name. */
export async function orgsOfUserAmong(db: Db, userId: string, orgIds: readonly string[]): Promise<{ id: string; name: string; role: Role }[]> {
  if (orgIds.length === 0) return [];
  return db.selectFrom('memberships')
    .innerJoin('orgs', 'orgs.id', 'memberships.org_id')
    .select(['orgs.id as id', 'orgs.name as name', 'memberships.role as role'])
    .where('memberships.user_id', '=', userId)
    .where('memberships.org_id', 'in', [...orgIds])
    .orderBy('orgs.name')
    .execute();
}

/** A live (not revoked) API token by the sha256 of its text, with its org and user. */
export async function liveTokenByHash(db: Db, hash: string): Promise<{ tokenId: string; orgId: string; userId: string } | undefined> {
  return db.selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id as tokenId', 'api_tokens.org_id as orgId', 'users.id as userId'])
    .where('api_tokens.hash', '=', hash)
    .where('api_tokens.revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Of `tokenIds`, the ones still live, each with the org it was issued in. */
export async function liveTokenOrgs(db: Db, tokenIds: readonly string[]): Promise<Map<string, string>> {
  if (tokenIds.length === 0) return new Map();
  const rows = await db.selectFrom('api_tokens').select(['id', 'org_id']).where('id', 'in', [...tokenIds]).where('revoked_at', 'is', null).execute();
  return new Map(rows.map((r) => [r.id, r.org_id]));
}

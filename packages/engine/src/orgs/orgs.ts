import { HangarError } from '@hangar/core';
import type { AuditApi, Clock, Db, Role } from '../types.js';
import { newId } from '../store/ids.js';
import { isUniqueViolation } from '../store/errors.js';
import './tables.js';

export interface Org { readonly id: string; readonly name: string; readonly createdAt: string }
export interface User { readonly id: string; readonly email: string; readonly name: string; readonly createdAt: string }
export interface Member extends User { readonly role: Role; readonly memberSince: string }
export interface OrgWithRole extends Org { readonly role: Role }

export const ORG_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
export const orgNameRule = 'lowercase letters, digits and dashes, 1-40 characters, starting and ending with a letter or digit';

const org = (r: { id: string; name: string; created_at: string }): Org => ({ id: r.id, name: r.name, createdAt: r.created_at });
const user = (r: { id: string; email: string; name: string; created_at: string }): User => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at });

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface OrgsDeps { readonly db: Db; readonly clock: Clock; readonly audit: AuditApi }

/** Organisations, users and memberships. Member changes are audited. */
export function createOrgs({ db, clock, audit }: OrgsDeps) {
  const now = () => clock.now().toISOString();

  async function createOrg(name: string, actor: string): Promise<Org> {
    if (!ORG_NAME.test(name)) throw new HangarError('VALIDATION_FAILED', `name: expected ${orgNameRule}, got ${JSON.stringify(name)}`);
    const exists = await db.selectFrom('orgs').select('id').where('name', '=', name).executeTakeFirst();
    if (exists) throw new HangarError('CONFLICT', `An organisation named "${name}" already exists; pick another name.`);
    const row = { id: newId('org'), name, created_at: now() };
    try {
      await db.insertInto('orgs').values(row).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new HangarError('CONFLICT', `An organisation named "${name}" already exists; pick another name.`);
      throw err;
    }
    await audit.append({ orgId: row.id, kind: 'org.created', actor, subject: `org:${row.id}`, data: { name } });
    return org(row);
  }

  async function getOrg(orgId: string): Promise<Org | undefined> {
    const r = await db.selectFrom('orgs').selectAll().where('id', '=', orgId).executeTakeFirst();
    return r && org(r);
  }

  async function findUserByEmail(email: string): Promise<User | undefined> {
    const r = await db.selectFrom('users').selectAll().where('email', '=', normaliseEmail(email)).executeTakeFirst();
    return r && user(r);
  }

  async function getUser(userId: string): Promise<User | undefined> {
    const r = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    return r && user(r);
  }

  /** Create a user, or return the existing one with that email. */
  async function ensureUser(input: { email: string; name?: string | undefined }): Promise<User> {
    const email = normaliseEmail(input.email);
    const existing = await findUserByEmail(email);
    if (existing) return existing;
    const row = { id: newId('usr'), email, name: input.name?.trim() || email.split('@')[0] || email, created_at: now() };
    try {
      await db.insertInto('users').values(row).execute();
    } catch (err) {
      // Someone else created this user a moment ago: theirs is the one.
      const raced = isUniqueViolation(err) ? await findUserByEmail(email) : undefined;
      if (raced) return raced;
      throw err;
    }
    return user(row);
  }

  async function membership(orgId: string, userId: string): Promise<Role | undefined> {
    const r = await db.selectFrom('memberships').select('role').where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();
    return r?.role;
  }

  async function addMember(orgId: string, userId: string, role: Role, actor: string): Promise<Member> {
    if (!(await getOrg(orgId))) throw new HangarError('NOT_FOUND', `Organisation ${orgId} not found.`);
    const u = await getUser(userId);
    if (!u) throw new HangarError('NOT_FOUND', `User ${userId} not found.`);
    const existing = await membership(orgId, userId);
    if (existing) throw new HangarError('CONFLICT', `${u.email} is already a member (role "${existing}"); change their role with PATCH /api/v1/orgs/${orgId}/members/${userId}.`);
    const created = now();
    try {
      await db.insertInto('memberships').values({ org_id: orgId, user_id: userId, role, created_at: created }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new HangarError('CONFLICT', `${u.email} is already a member of this organisation.`);
      throw err;
    }
    await audit.append({ orgId, kind: 'member.added', actor, subject: `user:${userId}`, data: { userId, email: u.email, role } });
    return { ...u, role, memberSince: created };
  }

  async function owners(orgId: string): Promise<number> {
    const r = await db.selectFrom('memberships').select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('org_id', '=', orgId).where('role', '=', 'owner').executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  async function setRole(orgId: string, userId: string, role: Role, actor: string): Promise<Member> {
    const before = await membership(orgId, userId);
    if (!before) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    if (before === 'owner' && role !== 'owner' && (await owners(orgId)) <= 1) {
      throw new HangarError('CONFLICT', 'This is the last owner of the organisation; make someone else owner first.');
    }
    await db.updateTable('memberships').set({ role }).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    if (before !== role) await audit.append({ orgId, kind: 'member.role_changed', actor, subject: `user:${userId}`, data: { userId, from: before, to: role } });
    return (await listMembers(orgId)).find((m) => m.id === userId)!;
  }

  async function removeMember(orgId: string, userId: string, actor: string): Promise<void> {
    const before = await membership(orgId, userId);
    if (!before) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    if (before === 'owner' && (await owners(orgId)) <= 1) {
      throw new HangarError('CONFLICT', 'This is the last owner of the organisation; make someone else owner first.');
    }
    await db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
    await audit.append({ orgId, kind: 'member.removed', actor, subject: `user:${userId}`, data: { userId, role: before } });
  }

  async function listMembers(orgId: string): Promise<Member[]> {
    const rows = await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'users.name', 'users.created_at', 'memberships.role', 'memberships.created_at as member_since'])
      .where('memberships.org_id', '=', orgId).orderBy('users.email').execute();
    return rows.map((r) => ({ ...user(r), role: r.role, memberSince: r.member_since }));
  }

  async function listOrgsFor(userId: string): Promise<OrgWithRole[]> {
    const rows = await db.selectFrom('memberships').innerJoin('orgs', 'orgs.id', 'memberships.org_id')
      .select(['orgs.id', 'orgs.name', 'orgs.created_at', 'memberships.role'])
      .where('memberships.user_id', '=', userId).orderBy('orgs.name').execute();
    return rows.map((r) => ({ ...org(r), role: r.role }));
  }

  return { createOrg, getOrg, getUser, findUserByEmail, ensureUser, membership, addMember, setRole, removeMember, listMembers, listOrgsFor };
}
export type Orgs = ReturnType<typeof createOrgs>;

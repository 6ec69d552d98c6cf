import { createHash, randomBytes } from 'node:crypto';
import { HangarError } from '@hangar/core';
import type { AcceptedInvitation, Invitation } from '@hangar/core/api';
import type { AuditApi, AuditEventInput, Clock, Db, Role } from '../types.js';
import { dialectOf } from '../store/db.js';
import { newId } from '../store/ids.js';
import { createOrgs, normaliseEmail } from '../orgs/orgs.js';
import { createTokens } from '../tokens/tokens.js';
import type { InvitationsTable } from './tables.js';
import './tables.js';

export const INVITATION_PREFIX = 'hgi_';
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const CODE_PATTERN = /^hgi_[A-Za-z0-9_-]{40,}$/;

const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');

function view(r: InvitationsTable, now: Date): Invitation {
  const status = r.accepted_at ? 'accepted' : r.revoked_at ? 'revoked' : Date.parse(r.expires_at) <= now.getTime() ? 'expired' : 'pending';
  return {
    id: r.id, orgId: r.org_id, email: r.email, role: r.role, status, invitedBy: r.created_by,
    createdAt: r.created_at, expiresAt: r.expires_at, acceptedAt: r.accepted_at, revokedAt: r.revoked_at,
  };
}

export interface InvitationsDeps { readonly db: Db; readonly clock: Clock; readonly audit: AuditApi }

/**
 * Invitations: the only way into an organisation over the API. The answer to an invitation says
 * nothing about the user behind the email (whether one exists, their id, name or age); they are
 * added, with their own new token, only when they redeem the code.
 */
export function createInvitations({ db, clock, audit }: InvitationsDeps) {
  const postgres = dialectOf(db) === 'postgres';

  async function invite(orgId: string, emailIn: string, role: Role, actor: string): Promise<{ invitation: Invitation; code: string }> {
    const email = normaliseEmail(emailIn);
    const member = await db.selectFrom('memberships').innerJoin('users', 'users.id', 'memberships.user_id')
      .select('memberships.role').where('memberships.org_id', '=', orgId).where('users.email', '=', email).executeTakeFirst();
    if (member) throw new HangarError('CONFLICT', `${email} is already a member of this organisation (role "${member.role}"); change their role with \`hangar members role ${email} ROLE\`.`);
    const code = `${INVITATION_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = clock.now();
    const row: InvitationsTable = {
      id: newId('inv'), org_id: orgId, email, role, code_hash: hashCode(code), created_by: actor,
      created_at: now.toISOString(), expires_at: new Date(now.getTime() + INVITATION_TTL_MS).toISOString(),
      accepted_at: null, accepted_user_id: null, revoked_at: null,
    };
    await db.insertInto('invitations').values(row).execute();
    await audit.append({ orgId, kind: 'member.invited', actor, subject: `invitation:${row.id}`, data: { invitationId: row.id, email, role, expiresAt: row.expires_at } });
    return { invitation: view(row, now), code };
  }

  async function list(orgId: string, all: boolean): Promise<Invitation[]> {
    const now = clock.now();
    const rows = await db.selectFrom('invitations').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id').execute();
    return rows.map((r) => view(r, now)).filter((i) => all || i.status === 'pending');
  }

  async function revoke(orgId: string, id: string, actor: string): Promise<Invitation> {
    const row = await db.selectFrom('invitations').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new HangarError('NOT_FOUND', `Invitation ${id} not found in this organisation; \`hangar members invitations\` lists the pending ones.`);
    const now = clock.now();
    const current = view(row, now);
    if (current.status === 'accepted') throw new HangarError('CONFLICT', `Invitation ${id} was already accepted; remove the member instead (\`hangar members remove ${row.email}\`).`);
    if (current.status === 'revoked') return current;
    const revokedAt = now.toISOString();
    const r = await db.updateTable('invitations').set({ revoked_at: revokedAt }).where('id', '=', id)
      .where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new HangarError('CONFLICT', `Invitation ${id} changed meanwhile (accepted or revoked); list the invitations again.`);
    await audit.append({ orgId, kind: 'invitation.revoked', actor, subject: `invitation:${id}`, data: { invitationId: id, email: row.email, role: row.role } });
    return { ...current, status: 'revoked', revokedAt };
  }

  /**
   * Redeem a code: in one transaction, the user (created when the email has none), the membership,
   * a new API token and the invitation's acceptance; the audit events follow the commit. A refused
   * code (unknown, used, revoked, expired) writes nothing.
   */
  async function accept(input: { code: string; name?: string | undefined; tokenName?: string | undefined }, caller?: { userId: string }): Promise<AcceptedInvitation> {
    const unknown = new HangarError('INVITATION_NOT_FOUND', 'This invitation code is unknown: copy the whole code (it starts with hgi_), or ask an admin for a new invitation.');
    if (!CODE_PATTERN.test(input.code.trim())) throw unknown;
    const hash = hashCode(input.code.trim());
    const events: AuditEventInput[] = [];
    const buffered: AuditApi = { append: async (e) => { events.push(e); } };
    const result = await db.transaction().execute(async (trx) => {
      const q = trx.selectFrom('invitations').selectAll().where('code_hash', '=', hash);
      const inv = await (postgres ? q.forUpdate() : q).executeTakeFirst();
      if (!inv) throw unknown;
      const now = clock.now();
      const status = view(inv, now).status;
      if (status === 'accepted') throw new HangarError('INVITATION_USED', 'This invitation was already accepted; a code works once. Ask an admin for a new invitation if you need another token.');
      if (status === 'revoked') throw new HangarError('INVITATION_REVOKED', 'This invitation was revoked by an admin of the organisation; ask them for a new one.');
      if (status === 'expired') throw new HangarError('INVITATION_EXPIRED', `This invitation expired on ${inv.expires_at} (invitations last 7 days); ask an admin for a new one.`);
      const orgs = createOrgs({ db: trx, clock, audit: buffered });
      const tokens = createTokens({ db: trx, clock, audit: buffered });
      const org = await orgs.getOrg(inv.org_id);
      if (!org) throw unknown;
      // An existing account joins only with its own consent: the code alone (which the inviting
      // admin has seen) is not enough, the caller must be signed in as that account.
      const existing = await orgs.findUserByEmail(inv.email);
      if (existing && existing.id !== caller?.userId) {
        throw new HangarError('INVITATION_SIGN_IN_REQUIRED', 'This invitation is for an email that already has a Hangar account: redeem it signed in as that account (`hangar login --url <engine> --invite <code>` sends your stored login for that engine; or set HANGAR_TOKEN to one of your tokens).');
      }
      const user = existing ?? (await orgs.ensureUser({ email: inv.email, name: input.name }));
      const actor = `user:${user.email}`;
      await orgs.addMember(inv.org_id, user.id, inv.role, actor);
      const token = await tokens.create(inv.org_id, user.id, input.tokenName ?? 'cli', actor);
      const done = await trx.updateTable('invitations').set({ accepted_at: now.toISOString(), accepted_user_id: user.id })
        .where('id', '=', inv.id).where('accepted_at', 'is', null).where('revoked_at', 'is', null).executeTakeFirst();
      if (Number(done.numUpdatedRows) !== 1) throw new HangarError('INVITATION_USED', 'This invitation was accepted a moment ago; a code works once.');
      events.push({ orgId: inv.org_id, kind: 'invitation.accepted', actor, subject: `invitation:${inv.id}`, data: { invitationId: inv.id, userId: user.id, email: user.email, role: inv.role, tokenId: token.id } });
      return {
        org: { id: org.id, name: org.name }, user: { id: user.id, email: user.email, name: user.name }, role: inv.role, token,
        notice: 'This is the only time the token is shown; `hangar login --invite` stores it for you.',
      };
    });
    for (const e of events) await audit.append(e);
    return result;
  }

  return { invite, list, revoke, accept };
}
export type Invitations = ReturnType<typeof createInvitations>;

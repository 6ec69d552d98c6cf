/**
 * `hangar members list|invite|invitations|revoke-invite|role|remove`. Nobody is added to an
 * organisation without their consent: `invite` prints a one-time code that the invitee redeems
 * with `hangar login --url <engine> --invite <code>`.
 */
import { HangarError } from '@hangar/core';
import type { CreatedInvitation, Invitation } from '@hangar/core/api';
import type { CommandContext } from '../context.js';
import { createUi, printJson, reportError } from '../output.js';
import { openSession, type Session } from '../session.js';

type Json = { json?: boolean | undefined };
interface Member { id: string; email: string; name: string; role: string; memberSince: string }

const ROLES = ['owner', 'admin', 'deployer', 'viewer'];
const org = (s: Session) => `/api/v1/orgs/${encodeURIComponent(s.orgId)}`;

async function guarded(ctx: CommandContext, json: boolean | undefined, fn: (s: Session) => Promise<void>): Promise<number> {
  try {
    await fn(await openSession(ctx));
    return 0;
  } catch (e) {
    return reportError(ctx, e, json === true);
  }
}

function checkRole(role: string | undefined, flag: string): string {
  if (!role || !ROLES.includes(role)) throw new HangarError('VALIDATION_FAILED', `${flag}: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(role ?? '')}`);
  return role;
}

/** A member by id or email. */
async function memberId(s: Session, who: string): Promise<string> {
  if (who.startsWith('usr_')) return who;
  const { members } = await s.client.json<{ members: Member[] }>('GET', `${org(s)}/members`);
  const m = members.find((x) => x.email === who.trim().toLowerCase());
  if (!m) throw new HangarError('NOT_FOUND', `${who} is not a member of this organisation; \`hangar members list\` lists them.`);
  return m.id;
}

export const membersList = (ctx: CommandContext, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  const { members } = await s.client.json<{ members: Member[] }>('GET', `${org(s)}/members`);
  if (o.json) printJson(ctx, { members });
  else for (const m of members) ctx.stdout.write(`${m.id}\t${m.email}\t${m.role}\t${m.name}\n`);
});

export const membersInvite = (ctx: CommandContext, email: string, o: Json & { role?: string | undefined } = {}) => guarded(ctx, o.json, async (s) => {
  const role = checkRole(o.role ?? 'deployer', '--role');
  const r = await s.client.json<CreatedInvitation>('POST', `${org(s)}/invitations`, { email, role });
  if (o.json) { printJson(ctx, r); return; }
  ctx.stdout.write(`${r.code}\n`);
  const ui = createUi(ctx);
  ui.success(`Invited ${r.invitation.email} as ${r.invitation.role} (${r.invitation.id}); the code expires ${r.invitation.expiresAt}.`);
  ui.info(`This is the only time the code is shown. Send it privately; they run: hangar login --url ${s.url} --invite <code>`);
});

export const membersInvitations = (ctx: CommandContext, o: Json & { all?: boolean | undefined } = {}) => guarded(ctx, o.json, async (s) => {
  const { invitations } = await s.client.json<{ invitations: Invitation[] }>('GET', `${org(s)}/invitations${o.all ? '?all=true' : ''}`);
  if (o.json) printJson(ctx, { invitations });
  else if (!invitations.length) createUi(ctx).info('No pending invitations.');
  else for (const i of invitations) ctx.stdout.write(`${i.id}\t${i.email}\t${i.role}\t${i.status}\texpires ${i.expiresAt}\tby ${i.invitedBy}\n`);
});

export const membersRevokeInvite = (ctx: CommandContext, id: string, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  const r = await s.client.json<{ invitation: Invitation }>('DELETE', `${org(s)}/invitations/${encodeURIComponent(id)}`);
  if (o.json) printJson(ctx, r);
  else createUi(ctx).success(`Revoked the invitation of ${r.invitation.email} (${r.invitation.id}); its code no longer works.`);
});

export const membersRole = (ctx: CommandContext, who: string, role: string, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  checkRole(role, 'ROLE');
  const id = await memberId(s, who);
  const r = await s.client.json<{ member: Member }>('PATCH', `${org(s)}/members/${encodeURIComponent(id)}`, { role });
  if (o.json) printJson(ctx, r);
  else createUi(ctx).success(`${r.member.email} is now ${r.member.role}.`);
});

export const membersRemove = (ctx: CommandContext, who: string, o: Json = {}) => guarded(ctx, o.json, async (s) => {
  const id = await memberId(s, who);
  await s.client.json('DELETE', `${org(s)}/members/${encodeURIComponent(id)}`);
  if (o.json) printJson(ctx, { removed: id });
  else createUi(ctx).success(`Removed ${who} from the organisation; their tokens in it are revoked.`);
});

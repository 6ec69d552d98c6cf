/**
 * Members and invitations. An invitation is how anyone joins an organisation: an admin invites an
 * email with a role and gets a one-time code (`hgi_…`, shown once, stored hashed, 7 days); the
 * invitee redeems it for their own API token. Nothing about an existing user (id, name, creation
 * date) is shown before they accept.
 */
import { z } from 'zod';
import { defineRoute } from './route.js';

export const invitationRoleSchema = z.enum(['owner', 'admin', 'deployer', 'viewer'], { error: 'expected one of owner, admin, deployer, viewer' });

const orgParams = z.object({ orgId: z.string().min(1) });
const invitationParams = z.object({ orgId: z.string().min(1), invitationId: z.string().min(1).max(100) });

export const invitationStatusSchema = z.enum(['pending', 'accepted', 'revoked', 'expired']);

/** An invitation as admins see it: never the code, never anything about the user behind the email. */
export const invitationSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  email: z.string(),
  role: invitationRoleSchema,
  status: invitationStatusSchema,
  invitedBy: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  acceptedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type Invitation = z.output<typeof invitationSchema>;

export const inviteBodySchema = z.object({
  email: z.email({ error: 'expected an email address' }).max(254),
  role: invitationRoleSchema,
}).strict();

/** The answer to an invitation: the code, once. */
export const createdInvitationSchema = z.object({
  invitation: invitationSchema,
  code: z.string(),
  notice: z.string(),
});
export type CreatedInvitation = z.output<typeof createdInvitationSchema>;

export const createInvitationRoute = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/invitations', access: 'admin',
  summary: 'Invite an email with a role; the answer carries a one-time code (7 days).',
  params: orgParams, body: inviteBodySchema, status: 201, reply: createdInvitationSchema,
});

/**
 * `POST /members` (the older way to add someone by email) now invites too: the same answer, and an
 * existing user of another organisation is added only when they accept.
 */
export const addMemberRoute = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/members', access: 'admin',
  summary: 'Invite an email (same as POST /invitations); nobody is added before they accept.',
  params: orgParams,
  body: inviteBodySchema.extend({ name: z.string().trim().min(1).max(100).optional() }).strict(),
  status: 201, reply: createdInvitationSchema,
});

export const listInvitationsRoute = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/invitations', access: 'admin',
  summary: 'Pending invitations (add ?all=true for accepted, revoked and expired ones too).',
  params: orgParams,
  query: z.object({ all: z.enum(['true', 'false']).optional() }),
  reply: z.object({ invitations: z.array(invitationSchema) }),
});

export const revokeInvitationRoute = defineRoute({
  method: 'DELETE', path: '/api/v1/orgs/:orgId/invitations/:invitationId', access: 'admin',
  summary: 'Revoke a pending invitation; its code is refused from then on.',
  params: invitationParams,
  reply: z.object({ invitation: invitationSchema }),
});

export const acceptInvitationBodySchema = z.object({
  code: z.string().min(1).max(200),
  /** Your display name, used only when the email has no user yet. */
  name: z.string().trim().min(1).max(100).optional(),
  /** Name of the API token created for you (default "cli"). */
  tokenName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit').optional(),
}).strict();

export const acceptedInvitationSchema = z.object({
  org: z.object({ id: z.string(), name: z.string() }),
  user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
  role: invitationRoleSchema,
  token: z.object({
    id: z.string(), orgId: z.string(), userId: z.string(), name: z.string(), prefix: z.string(), createdAt: z.string(),
    lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable(), token: z.string(),
  }),
  notice: z.string(),
});
export type AcceptedInvitation = z.output<typeof acceptedInvitationSchema>;

export const acceptInvitationRoute = defineRoute({
  method: 'POST', path: '/api/v1/invitations/accept', access: 'public',
  summary: 'Redeem an invitation code for your own API token in that organisation (once).',
  body: acceptInvitationBodySchema, status: 201, reply: acceptedInvitationSchema,
});

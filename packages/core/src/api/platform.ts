/** Platform: identity, organisations, members and API tokens. */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { orgParams, role } from './common.js';

export const user = z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: z.string() });
export const actor = z.object({ kind: z.enum(['user', 'token', 'ci']), id: z.string(), userId: z.string(), name: z.string() });
export const orgWithRole = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), role });
export const member = user.extend({ role, memberSince: z.string() });
export const tokenInfo = z.object({
  id: z.string(), orgId: z.string(), userId: z.string(), name: z.string(), prefix: z.string(),
  createdAt: z.string(), lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable(),
});
export const createdToken = tokenInfo.extend({ token: z.string() });

export type User = z.output<typeof user>;
export type Actor = z.output<typeof actor>;
export type OrgWithRole = z.output<typeof orgWithRole>;
export type Member = z.output<typeof member>;
export type TokenInfo = z.output<typeof tokenInfo>;
export type CreatedToken = z.output<typeof createdToken>;

export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const memberParams = z.object({ orgId: z.string().min(1), userId: z.string().min(1) });
const tokenParams = z.object({ orgId: z.string().min(1), tokenId: z.string().min(1) });

export const whoami = defineRoute({
  method: 'GET', path: '/api/v1/whoami', access: 'any', summary: 'Who the credential belongs to, and its orgs',
  reply: z.object({ user, actor, orgs: z.array(orgWithRole) }),
});
export const listOrgs = defineRoute({
  method: 'GET', path: '/api/v1/orgs', access: 'any', summary: 'The orgs the caller belongs to',
  reply: z.object({ orgs: z.array(orgWithRole) }),
});
export const getOrg = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId', access: 'viewer', summary: 'One org, with the caller\'s role there',
  params: orgParams, reply: z.object({ org: orgWithRole }),
});
export const listMembers = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/members', access: 'viewer', summary: 'The org\'s members',
  params: orgParams, reply: z.object({ members: z.array(member) }),
});
// POST /api/v1/orgs/:orgId/members invites (nobody is added before accepting): `addMemberRoute` in invitations.ts.
export const setMemberRole = defineRoute({
  method: 'PATCH', path: '/api/v1/orgs/:orgId/members/:userId', access: 'admin', summary: 'Change a member\'s role',
  params: memberParams, body: z.object({ role }).strict(), reply: z.object({ member }),
});
export const removeMember = defineRoute({
  method: 'DELETE', path: '/api/v1/orgs/:orgId/members/:userId', access: 'admin', summary: 'Remove a member and revoke their tokens in this org',
  params: memberParams, status: 204,
});
export const listTokens = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/tokens', access: 'viewer', summary: 'Your tokens (admins and owners: everyone\'s)',
  params: orgParams, reply: z.object({ tokens: z.array(tokenInfo) }),
});
export const createToken = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/tokens', access: 'deployer', summary: 'A token for yourself; the answer carries it, once',
  params: orgParams, status: 201,
  body: z.object({
    name: z.string().regex(TOKEN_NAME, 'expected 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit'),
  }).strict(),
  reply: z.object({ token: createdToken, notice: z.string() }),
});
export const revokeToken = defineRoute({
  method: 'DELETE', path: '/api/v1/orgs/:orgId/tokens/:tokenId', access: 'viewer', summary: 'Revoke your own token (admins: anyone\'s)',
  params: tokenParams, reply: z.object({ token: tokenInfo }),
});

// Health probes (outside /api/v1, no credential, no secret in the answer): for load balancers and orchestrators.
export const readyzChecks = z.object({
  database: z.enum(['ok', 'unreachable']),
  migrations: z.enum(['ok', 'pending', 'unknown']),
  draining: z.boolean(),
});
export const healthzRoute = defineRoute({
  method: 'GET', path: '/healthz', access: 'public', summary: 'Liveness: the process answers (touches nothing else)',
  reply: z.object({ status: z.literal('ok') }),
});
export const readyzRoute = defineRoute({
  method: 'GET', path: '/readyz', access: 'public',
  summary: 'Readiness: the database answers, every migration is applied, the engine is not draining (503 otherwise, same shape)',
  reply: z.object({ status: z.enum(['ready', 'unavailable']), checks: readyzChecks }),
});

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import { getOrg, listMembers, listOrgs, removeMember, setMemberRole, whoami } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { roleRank, type Role } from '../types.js';
import type { Tokens } from '../tokens/tokens.js';
import type { Orgs } from './orgs.js';

function identity(request: FastifyRequest) {
  const id = request.identity;
  if (!id) throw new HangarError('AUTH_REQUIRED', 'This needs an API token: run `hangar login`.');
  return id;
}

/** Only an owner may hand out (or take away) the owner role. */
export function checkGrant(callerRole: Role, granted: Role): void {
  if (granted === 'owner' && callerRole !== 'owner') {
    throw new HangarError('AUTH_FORBIDDEN', 'Only an owner can make someone an owner.');
  }
  if (roleRank[granted] > roleRank[callerRole]) {
    throw new HangarError('AUTH_FORBIDDEN', `Your role "${callerRole}" cannot grant "${granted}".`);
  }
}

export function registerOrgRoutes(app: FastifyInstance, orgs: Orgs, tokens: Tokens): void {
  registerRoute(app, whoami, async ({ request }) => {
    const id = identity(request);
    const user = await orgs.getUser(id.userId);
    if (!user) throw new HangarError('AUTH_REQUIRED', 'The user behind this credential no longer exists.');
    const mine = await orgs.listOrgsFor(id.userId);
    return { user, actor: id.actor, orgs: id.orgId ? mine.filter((o) => o.id === id.orgId) : mine };
  });

  registerRoute(app, listOrgs, async ({ request }) => {
    const id = identity(request);
    const mine = await orgs.listOrgsFor(id.userId);
    return { orgs: id.orgId ? mine.filter((o) => o.id === id.orgId) : mine };
  });

  registerRoute(app, getOrg, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    const org = await orgs.getOrg(auth.orgId);
    if (!org) throw new HangarError('NOT_FOUND', `Organisation ${auth.orgId} not found.`);
    return { org: { ...org, role: auth.role } };
  });

  registerRoute(app, listMembers, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return { members: await orgs.listMembers(auth.orgId) };
  });

  // POST /api/v1/orgs/:orgId/members invites (no one is added without accepting): see invitations/routes.ts.

  registerRoute(app, setMemberRole, async ({ request, params, body }) => {
    const auth = requireRole(request, 'admin');
    const { userId } = params;
    const current = await orgs.membership(auth.orgId, userId);
    if (!current) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    checkGrant(auth.role, body.role);
    checkGrant(auth.role, current);
    return { member: await orgs.setRole(auth.orgId, userId, body.role, auth.actor.name) };
  });

  registerRoute(app, removeMember, async ({ request, params }) => {
    const auth = requireRole(request, 'admin');
    const { userId } = params;
    const current = await orgs.membership(auth.orgId, userId);
    if (!current) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    checkGrant(auth.role, current);
    await orgs.removeMember(auth.orgId, userId, auth.actor.name);
    await tokens.revokeAllFor(auth.orgId, userId, auth.actor.name);
  });
}

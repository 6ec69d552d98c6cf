import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HangarError } from '@hangar/core';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import { roleRank, type Role } from '../types.js';
import type { Tokens } from '../tokens/tokens.js';
import type { Orgs } from './orgs.js';

const role = z.enum(['owner', 'admin', 'deployer', 'viewer'], { error: 'expected one of owner, admin, deployer, viewer' });
const setRoleBody = z.object({ role }).strict();
const memberParams = z.object({ orgId: z.string(), userId: z.string() });

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
  app.get('/api/v1/whoami', async (request) => {
    const id = identity(request);
    const user = await orgs.getUser(id.userId);
    if (!user) throw new HangarError('AUTH_REQUIRED', 'The user behind this credential no longer exists.');
    const mine = await orgs.listOrgsFor(id.userId);
    return { user, actor: id.actor, orgs: id.orgId ? mine.filter((o) => o.id === id.orgId) : mine };
  });

  app.get('/api/v1/orgs', async (request) => {
    const id = identity(request);
    const mine = await orgs.listOrgsFor(id.userId);
    return { orgs: id.orgId ? mine.filter((o) => o.id === id.orgId) : mine };
  });

  app.get('/api/v1/orgs/:orgId', async (request) => {
    const auth = requireRole(request, 'viewer');
    const org = await orgs.getOrg(auth.orgId);
    if (!org) throw new HangarError('NOT_FOUND', `Organisation ${auth.orgId} not found.`);
    return { org: { ...org, role: auth.role } };
  });

  app.get('/api/v1/orgs/:orgId/members', async (request) => {
    const auth = requireRole(request, 'viewer');
    return { members: await orgs.listMembers(auth.orgId) };
  });

  // POST /api/v1/orgs/:orgId/members invites (no one is added without accepting): see invitations/routes.ts.

  app.patch('/api/v1/orgs/:orgId/members/:userId', async (request) => {
    const auth = requireRole(request, 'admin');
    const { userId } = parse(memberParams, request.params, 'params');
    const body = parse(setRoleBody, request.body, 'body');
    const current = await orgs.membership(auth.orgId, userId);
    if (!current) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    checkGrant(auth.role, body.role);
    checkGrant(auth.role, current);
    return { member: await orgs.setRole(auth.orgId, userId, body.role, auth.actor.name) };
  });

  app.delete('/api/v1/orgs/:orgId/members/:userId', async (request, reply) => {
    const auth = requireRole(request, 'admin');
    const { userId } = parse(memberParams, request.params, 'params');
    const current = await orgs.membership(auth.orgId, userId);
    if (!current) throw new HangarError('NOT_FOUND', `User ${userId} is not a member of this organisation.`);
    checkGrant(auth.role, current);
    await orgs.removeMember(auth.orgId, userId, auth.actor.name);
    await tokens.revokeAllFor(auth.orgId, userId, auth.actor.name);
    return reply.status(204).send();
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HangarError } from '@hangar/core';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import { roleRank } from '../types.js';
import type { Tokens } from './tokens.js';

export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const createBody = z.object({
  name: z.string().regex(TOKEN_NAME, 'expected 1-63 letters, digits, dots, dashes or underscores, starting with a letter or digit'),
}).strict();
const tokenParams = z.object({ orgId: z.string(), tokenId: z.string() });

export function registerTokenRoutes(app: FastifyInstance, tokens: Tokens): void {
  /** Your own tokens; admins and owners see everyone's. */
  app.get('/api/v1/orgs/:orgId/tokens', async (request) => {
    const auth = requireRole(request, 'viewer');
    const all = roleRank[auth.role] >= roleRank.admin;
    return { tokens: await tokens.list(auth.orgId, all ? undefined : auth.userId) };
  });

  /** A token for yourself in this org; the answer carries the token, once. */
  app.post('/api/v1/orgs/:orgId/tokens', async (request, reply) => {
    const auth = requireRole(request, 'deployer');
    const body = parse(createBody, request.body, 'body');
    const created = await tokens.create(auth.orgId, auth.userId, body.name, auth.actor.name);
    return reply.status(201).send({ token: created, notice: 'This is the only time the token is shown; store it now (e.g. as HANGAR_TOKEN in CI).' });
  });

  /** Revoke your own token (any member), or anyone's (admin, owner). */
  app.delete('/api/v1/orgs/:orgId/tokens/:tokenId', async (request) => {
    const auth = requireRole(request, 'viewer');
    const { tokenId } = parse(tokenParams, request.params, 'params');
    const t = await tokens.get(auth.orgId, tokenId);
    if (!t) throw new HangarError('NOT_FOUND', `Token ${tokenId} not found in this organisation; \`GET /api/v1/orgs/${auth.orgId}/tokens\` lists yours.`);
    if (t.userId !== auth.userId) requireRole(request, 'admin');
    return { token: await tokens.revoke(auth.orgId, tokenId, auth.actor.name) };
  });
}

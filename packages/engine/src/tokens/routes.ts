import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';
import { createToken, listTokens, revokeToken } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { roleRank } from '../types.js';
import type { Tokens } from './tokens.js';

export { TOKEN_NAME } from '@hangar/core/api';

export function registerTokenRoutes(app: FastifyInstance, tokens: Tokens): void {
  /** Your own tokens; admins and owners see everyone's. */
  registerRoute(app, listTokens, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    const all = roleRank[auth.role] >= roleRank.admin;
    return { tokens: await tokens.list(auth.orgId, all ? undefined : auth.userId) };
  });

  /** A token for yourself in this org; the answer carries the token, once. */
  registerRoute(app, createToken, async ({ request, body }) => {
    const auth = requireRole(request, 'deployer');
    const created = await tokens.create(auth.orgId, auth.userId, body.name, auth.actor.name);
    return { token: created, notice: 'This is the only time the token is shown; store it now (e.g. as HANGAR_TOKEN in CI).' };
  });

  /** Revoke your own token (any member), or anyone's (admin, owner). */
  registerRoute(app, revokeToken, async ({ request, params }) => {
    const auth = requireRole(request, 'viewer');
    const { tokenId } = params;
    const t = await tokens.get(auth.orgId, tokenId);
    if (!t) throw new HangarError('NOT_FOUND', `Token ${tokenId} not found in this organisation; \`GET /api/v1/orgs/${auth.orgId}/tokens\` lists yours.`);
    if (t.userId !== auth.userId) requireRole(request, 'admin');
    return { token: await tokens.revoke(auth.orgId, tokenId, auth.actor.name) };
  });
}

import type { FastifyInstance } from 'fastify';
import { ciExchangeRoute, createCiTrustRoute, deleteCiTrustRoute, listCiTrustsRoute } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { CiTrusts } from './trusts.js';

export function registerCiTrustRoutes(app: FastifyInstance, trusts: CiTrusts): void {
  registerRoute(app, createCiTrustRoute, async ({ body, request }) => {
    const auth = requireRole(request, 'admin');
    return { trust: await trusts.create(auth.orgId, body, auth.actor.name) };
  });

  registerRoute(app, listCiTrustsRoute, async ({ request }) => {
    const auth = requireRole(request, 'admin');
    return { trusts: await trusts.list(auth.orgId) };
  });

  registerRoute(app, deleteCiTrustRoute, async ({ params, request }) => {
    const auth = requireRole(request, 'admin');
    await trusts.remove(auth.orgId, params.trustId, auth.actor.name);
  });

  registerRoute(app, ciExchangeRoute, async ({ body }) => trusts.exchange(body.orgId, body.token));
}

import type { FastifyInstance } from 'fastify';
import { appDeploymentEvents, createAppDeployment, getAppDeployment, listAppDeployments } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { sameOrg } from '../source/routes.js';
import { requireScope } from '../http/scope.js';
import type { Logger, RequestAuth } from '../types.js';
import { streamAppDeploymentEvents } from './events.js';
import type { AppsService } from './service.js';

export async function registerAppRoutes(app: FastifyInstance, deps: { service: AppsService; pollMs: number; logger: Logger; onChange: (id: string, listener: () => void) => () => void }): Promise<void> {
  const { service } = deps;
  registerRoute(app, createAppDeployment, async ({ request, params: { orgId }, body }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    return service.create(auth, body);
  });
  registerRoute(app, listAppDeployments, async ({ request, params: { orgId }, query }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return { appDeployments: await service.list(orgId, query) };
  });
  /** A scoped credential (CI token) reads only app deployments of its app and stage. */
  const readable = async (auth: RequestAuth, orgId: string, id: string) => {
    const a = await service.get(orgId, id);
    requireScope(auth, a.app, a.stage);
    return a;
  };
  registerRoute(app, getAppDeployment, async ({ request, params: { orgId, id } }) => {
    const auth = requireRole(request, 'viewer');
    sameOrg(auth.orgId, orgId);
    return readable(auth, orgId, id);
  });
  registerRoute(app, appDeploymentEvents, async ({ request, reply, params: { orgId, id } }) => {
    const auth = requireRole(request, 'viewer');
    sameOrg(auth.orgId, orgId);
    await readable(auth, orgId, id);
    try {
      await streamAppDeploymentEvents({ pollMs: deps.pollMs, load: () => service.get(orgId, id), onChange: (l) => deps.onChange(id, l) }, request, reply);
    } catch (e) {
      if (!reply.sent && !reply.raw.headersSent) throw e;
      deps.logger.error('app deployment event stream failed', { reqId: request.id, appDeploymentId: id, err: e });
    }
  });
}

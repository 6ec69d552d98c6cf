import type { FastifyInstance } from 'fastify';
import { getInstance, instanceByName, listInstances } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import { sameOrg } from '../source/routes.js';
import type { DeploymentService } from '../deployments/service.js';

/** Read-only views of instances; deploying and removing go through POST /deployments. */
export async function registerInstanceRoutes(app: FastifyInstance, service: DeploymentService): Promise<void> {
  registerRoute(app, listInstances, async ({ request, params: { orgId } }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return { instances: await service.instances(orgId) };
  });

  registerRoute(app, instanceByName, async ({ request, params: p }) => {
    sameOrg(requireRole(request, 'viewer').orgId, p.orgId);
    return service.instanceByName(p.orgId, p.app, p.stage, p.name);
  });

  registerRoute(app, getInstance, async ({ request, params: { orgId, instanceId } }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return service.instance(orgId, instanceId);
  });
}

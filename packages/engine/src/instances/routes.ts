import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import { sameOrg } from '../source/routes.js';
import type { DeploymentService } from '../deployments/service.js';

const orgParams = z.object({ orgId: z.string().min(1) });
const idParams = z.object({ orgId: z.string().min(1), instanceId: z.string().min(1).max(100) });
const nameParams = z.object({ orgId: z.string().min(1), app: z.string().min(1).max(64), stage: z.string().min(1).max(64), name: z.string().min(1).max(64) });

/** Read-only views of instances; deploying and removing go through POST /deployments. */
export async function registerInstanceRoutes(app: FastifyInstance, service: DeploymentService): Promise<void> {
  app.get('/api/v1/orgs/:orgId/instances', async (request) => {
    const { orgId } = parse(orgParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return { instances: await service.instances(orgId) };
  });

  app.get('/api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name', async (request) => {
    const p = parse(nameParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, p.orgId);
    return service.instanceByName(p.orgId, p.app, p.stage, p.name);
  });

  app.get('/api/v1/orgs/:orgId/instances/:instanceId', async (request) => {
    const { orgId, instanceId } = parse(idParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return service.instance(orgId, instanceId);
  });
}

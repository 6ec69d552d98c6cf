import type { FastifyInstance } from 'fastify';
import { createDeployment, deploymentEvents, deploymentLogs, getDeployment, listDeployments } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { Db, Logger } from '../types.js';
import { sameOrg } from '../source/routes.js';
import type { DeploymentBus } from './bus.js';
import { streamDeploymentEvents } from './events.js';
import type { DeploymentService } from './service.js';

export async function registerDeploymentRoutes(app: FastifyInstance, deps: { service: DeploymentService; db: Db; bus: DeploymentBus; pollMs: number; heartbeatMs?: number; logger: Logger }): Promise<void> {
  const { service, db } = deps;

  registerRoute(app, createDeployment, async ({ request, params: { orgId }, body }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    return service.create(auth, body);
  });

  registerRoute(app, listDeployments, async ({ request, params: { orgId }, query }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return { deployments: await service.list(orgId, query) };
  });

  registerRoute(app, getDeployment, async ({ request, params: { orgId, id } }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return service.get(orgId, id);
  });

  registerRoute(app, deploymentLogs, async ({ request, reply, params: { orgId, id }, query: { after } }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    await service.get(orgId, id);
    const lines = await db.selectFrom('deployment_logs').select(['seq', 'ts', 'level', 'message']).where('deployment_id', '=', id).where('seq', '>', after).orderBy('seq').execute();
    const body = lines.map((l) => JSON.stringify({ seq: Number(l.seq), ts: l.ts, level: l.level, message: l.message })).join('\n');
    reply.type('application/x-ndjson; charset=utf-8').send(body ? `${body}\n` : '');
  });

  registerRoute(app, deploymentEvents, async ({ request, reply, params: { orgId, id } }) => {
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    try {
      await streamDeploymentEvents({ db, bus: deps.bus, pollMs: deps.pollMs, ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}) }, request, reply, orgId, id);
    } catch (e) {
      if (!reply.sent && !reply.raw.headersSent) throw e;
      deps.logger.error('deployment event stream failed', { reqId: request.id, deploymentId: id, err: e });
    }
  });
}

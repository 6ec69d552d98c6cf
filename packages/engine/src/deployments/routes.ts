import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import type { Db, Logger } from '../types.js';
import { sameOrg } from '../source/routes.js';
import type { DeploymentBus } from './bus.js';
import { streamDeploymentEvents } from './events.js';
import { createDeploymentSchema, type DeploymentService } from './service.js';

const orgParams = z.object({ orgId: z.string().min(1) });
const depParams = z.object({ orgId: z.string().min(1), id: z.string().min(1).max(100) });
const listQuery = z.object({
  instanceId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const logsQuery = z.object({ after: z.coerce.number().int().min(0).default(0) });

export async function registerDeploymentRoutes(app: FastifyInstance, deps: { service: DeploymentService; db: Db; bus: DeploymentBus; pollMs: number; logger: Logger }): Promise<void> {
  const { service, db } = deps;

  app.post('/api/v1/orgs/:orgId/deployments', async (request, reply) => {
    const { orgId } = parse(orgParams, request.params, 'params');
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    const body = parse(createDeploymentSchema, request.body, 'body');
    return reply.code(202).send(await service.create(auth, body));
  });

  app.get('/api/v1/orgs/:orgId/deployments', async (request) => {
    const { orgId } = parse(orgParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    const query = parse(listQuery, request.query, 'query');
    return { deployments: await service.list(orgId, query) };
  });

  app.get('/api/v1/orgs/:orgId/deployments/:id', async (request) => {
    const { orgId, id } = parse(depParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    return service.get(orgId, id);
  });

  app.get('/api/v1/orgs/:orgId/deployments/:id/logs', async (request, reply) => {
    const { orgId, id } = parse(depParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    const { after } = parse(logsQuery, request.query, 'query');
    await service.get(orgId, id);
    const lines = await db.selectFrom('deployment_logs').select(['seq', 'ts', 'level', 'message']).where('deployment_id', '=', id).where('seq', '>', after).orderBy('seq').execute();
    const body = lines.map((l) => JSON.stringify({ seq: Number(l.seq), ts: l.ts, level: l.level, message: l.message })).join('\n');
    return reply.type('application/x-ndjson; charset=utf-8').send(body ? `${body}\n` : '');
  });

  app.get('/api/v1/orgs/:orgId/deployments/:id/events', async (request, reply) => {
    const { orgId, id } = parse(depParams, request.params, 'params');
    sameOrg(requireRole(request, 'viewer').orgId, orgId);
    try {
      await streamDeploymentEvents({ db, bus: deps.bus, pollMs: deps.pollMs }, request, reply, orgId, id);
    } catch (e) {
      if (!reply.sent && !reply.raw.headersSent) throw e;
      deps.logger.error('deployment event stream failed', { reqId: request.id, deploymentId: id, err: e });
    }
  });
}

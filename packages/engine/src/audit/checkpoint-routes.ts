import type { FastifyInstance } from 'fastify';
import { auditCheckpointCreateRoute, auditCheckpointsListRoute, auditExportRoute, auditKeysRoute } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { Checkpoints } from './checkpoints.js';

export function registerCheckpointRoutes(app: FastifyInstance, checkpoints: Checkpoints, publicUrl: string): void {
  registerRoute(app, auditKeysRoute, async () => ({ keys: await checkpoints.keys() }));

  registerRoute(app, auditCheckpointsListRoute, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return { checkpoints: await checkpoints.list(auth.orgId) };
  });

  registerRoute(app, auditCheckpointCreateRoute, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return { checkpoint: await checkpoints.checkpoint(auth.orgId) };
  });

  registerRoute(app, auditExportRoute, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return checkpoints.exportOrg(auth.orgId, publicUrl);
  });
}

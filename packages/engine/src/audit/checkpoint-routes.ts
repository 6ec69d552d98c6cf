import type { FastifyInstance } from 'fastify';
import { auditCheckpointsListRoute, auditExportRoute, auditKeysRoute } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { Checkpoints } from './checkpoints.js';

/** The keys route lives outside /api/v1 (like the OIDC JWKS), so no credential is asked for. */
export function registerCheckpointRoutes(app: FastifyInstance, checkpoints: Checkpoints, publicUrl: string): void {
  registerRoute(app, auditKeysRoute, async () => ({ keys: await checkpoints.keys() }));

  registerRoute(app, auditCheckpointsListRoute, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return { checkpoints: await checkpoints.list(auth.orgId) };
  });

  registerRoute(app, auditExportRoute, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return checkpoints.exportOrg(auth.orgId, publicUrl);
  });
}

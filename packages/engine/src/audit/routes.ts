import type { FastifyInstance } from 'fastify';
import { listAudit, verifyAudit } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { Audit } from './audit.js';

export function registerAuditRoutes(app: FastifyInstance, audit: Audit): void {
  /** Newest first; page backwards with `before=<seq of the last event you have>`. */
  registerRoute(app, listAudit, async ({ request, query: q }) => {
    const auth = requireRole(request, 'viewer');
    const events = await audit.list(auth.orgId, q);
    const last = events.at(-1);
    return { events, nextBefore: events.length === q.limit && last && last.seq > 1 ? last.seq : null };
  });

  registerRoute(app, verifyAudit, async ({ request }) => {
    const auth = requireRole(request, 'viewer');
    return audit.verifyChain(auth.orgId);
  });
}

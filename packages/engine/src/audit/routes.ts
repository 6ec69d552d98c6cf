import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import type { Audit } from './audit.js';

const listQuery = z.object({
  kind: z.string().min(1).max(100).optional(),
  actor: z.string().min(1).max(200).optional(),
  subject: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
}).strict();

export function registerAuditRoutes(app: FastifyInstance, audit: Audit): void {
  /** Newest first; page backwards with `before=<seq of the last event you have>`. */
  app.get('/api/v1/orgs/:orgId/audit', async (request) => {
    const auth = requireRole(request, 'viewer');
    const q = parse(listQuery, request.query, 'query');
    const events = await audit.list(auth.orgId, q);
    const last = events.at(-1);
    return { events, nextBefore: events.length === q.limit && last && last.seq > 1 ? last.seq : null };
  });

  app.get('/api/v1/orgs/:orgId/audit/verify', async (request) => {
    const auth = requireRole(request, 'viewer');
    return audit.verifyChain(auth.orgId);
  });
}

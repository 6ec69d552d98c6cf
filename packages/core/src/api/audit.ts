/** The org's append-only, hash-chained audit log. */
import { z } from 'zod';
import { defineRoute } from './route.js';
import { jsonObject, orgParams } from './common.js';

export const auditEvent = z.object({
  seq: z.number(), id: z.string(), ts: z.string(), kind: z.string(), actor: z.string(), subject: z.string().nullable(), data: jsonObject,
});
export const auditVerification = z.union([
  z.object({ ok: z.literal(true), count: z.number() }),
  z.object({ ok: z.literal(false), count: z.number(), brokenAt: z.object({ seq: z.number(), id: z.string().nullable(), reason: z.string() }) }),
]);
export type AuditEvent = z.output<typeof auditEvent>;
export type AuditVerification = z.output<typeof auditVerification>;

export const listAudit = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/audit', access: 'viewer', summary: 'Audit events, newest first; page with `before`',
  params: orgParams,
  query: z.object({
    kind: z.string().min(1).max(100).optional(),
    actor: z.string().min(1).max(200).optional(),
    subject: z.string().min(1).max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
  }).strict(),
  reply: z.object({ events: z.array(auditEvent), nextBefore: z.number().nullable() }),
});
export const verifyAudit = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/audit/verify', access: 'viewer', summary: 'Check the hash chain',
  params: orgParams, reply: auditVerification,
});

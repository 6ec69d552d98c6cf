/** Signed audit checkpoints, their public keys, and the export (docs/audit-export.md). */
import { z } from 'zod';
import { defineRoute } from './route.js';

const orgParams = z.object({ orgId: z.string().min(1) });

export const auditPublicKeySchema = z.object({
  keyId: z.string(),
  algorithm: z.literal('Ed25519'),
  publicKey: z.string().describe('SubjectPublicKeyInfo, PEM'),
  createdAt: z.string(),
});

export const auditCheckpointSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  ts: z.string(),
  eventCount: z.number().int(),
  headHash: z.string(),
  prevSignature: z.string(),
  keyId: z.string(),
  signature: z.string(),
});

export const auditExportedEventSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  ts: z.string(),
  kind: z.string(),
  actor: z.string(),
  subject: z.string().nullable(),
  data: z.string().describe('canonical JSON text, exactly as hashed'),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditExportSchema = z.object({
  format: z.literal('hangar-audit-export-v1'),
  orgId: z.string(),
  exportedAt: z.string(),
  engine: z.string(),
  keys: z.array(auditPublicKeySchema),
  events: z.array(auditExportedEventSchema),
  checkpoints: z.array(auditCheckpointSchema),
});

/** Public, next to the OIDC JWKS: anyone verifying an export needs the keys, not a login. */
export const auditKeysRoute = defineRoute({
  method: 'GET',
  path: '/.well-known/hangar-audit-keys.json',
  access: 'public',
  summary: "The public keys that sign audit checkpoints (this engine's current key first).",
  reply: z.object({ keys: z.array(auditPublicKeySchema) }),
});

export const auditCheckpointsListRoute = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:orgId/audit/checkpoints',
  access: 'viewer',
  summary: "The org's signed checkpoints, oldest first.",
  params: orgParams,
  reply: z.object({ checkpoints: z.array(auditCheckpointSchema) }),
});

export const auditExportRoute = defineRoute({
  method: 'GET',
  path: '/api/v1/orgs/:orgId/audit/export',
  access: 'viewer',
  summary: 'Every event, every checkpoint (one signed for this export first) and the public keys.',
  params: orgParams,
  reply: auditExportSchema,
});

export type AuditExportReply = z.output<typeof auditExportSchema>;
export type AuditKeysReply = z.output<typeof auditKeysRoute.reply>;

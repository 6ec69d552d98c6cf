import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';
import { z } from 'zod';
import { requireRole } from '../http/guard.js';
import { parse } from '../http/validate.js';
import type { SourceCache } from './source-cache.js';
import { sourceUploadSchema } from './manifest-rules.js';

const orgParams = z.object({ orgId: z.string().min(1) });
const blobParams = z.object({ orgId: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters') });

/** The org in the path must be the one the auth hook admitted the caller to. */
export function sameOrg(authOrgId: string, orgId: string): void {
  if (authOrgId !== orgId) throw new HangarError('NOT_FOUND', 'No such organisation.');
}

export async function registerSourceRoutes(app: FastifyInstance, cache: SourceCache, limits: { maxFileBytes: number; maxFiles: number }): Promise<void> {
  if (!app.hasContentTypeParser('application/octet-stream')) {
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  // A manifest entry is ~150 bytes of JSON; leave room for the largest manifest the limits allow.
  const manifestBodyLimit = Math.max(1024 * 1024, limits.maxFiles * 400);

  app.post('/api/v1/orgs/:orgId/sources', { bodyLimit: manifestBodyLimit }, async (request) => {
    const { orgId } = parse(orgParams, request.params, 'params');
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    const body = parse(sourceUploadSchema, request.body, 'body');
    return cache.upload(orgId, body);
  });

  app.put('/api/v1/orgs/:orgId/blobs/:sha256', { bodyLimit: limits.maxFileBytes }, async (request, reply) => {
    const { orgId, sha256 } = parse(blobParams, request.params, 'params');
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    // An empty file arrives with no body at all.
    const body = request.body == null ? new Uint8Array(0) : request.body;
    if (!(body instanceof Uint8Array)) {
      throw new HangarError('VALIDATION_FAILED', 'body: expected the raw file bytes with content-type application/octet-stream');
    }
    await cache.putBlob(orgId, sha256, body);
    return reply.code(204).send();
  });
}

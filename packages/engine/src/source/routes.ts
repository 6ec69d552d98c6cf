import type { FastifyInstance } from 'fastify';
import { HangarError } from '@hangar/core';
import { putBlob, uploadSource } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { registerRoute } from '../http/route.js';
import type { SourceCache } from './source-cache.js';

/** The org in the path must be the one the auth hook admitted the caller to. */
export function sameOrg(authOrgId: string, orgId: string): void {
  if (authOrgId !== orgId) throw new HangarError('NOT_FOUND', 'No such organisation.');
}

/**
 * `checkComponent` refuses a manifest sent for a component the engine does not have (the CLI
 * names it in the manifest request it makes anyway), so a typo costs no upload and no extra call.
 */
export async function registerSourceRoutes(app: FastifyInstance, cache: SourceCache, limits: { maxFileBytes: number; maxFiles: number }, checkComponent?: (name: string) => void): Promise<void> {
  if (!app.hasContentTypeParser('application/octet-stream')) {
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  // A manifest entry is ~150 bytes of JSON; leave room for the largest manifest the limits allow.
  const manifestBodyLimit = Math.max(1024 * 1024, limits.maxFiles * 400);

  registerRoute(app, uploadSource, async ({ request, params: { orgId }, body }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    if (body.component !== undefined) checkComponent?.(body.component);
    const { component: _component, ...manifest } = body;
    return cache.upload(orgId, manifest);
  }, { bodyLimit: manifestBodyLimit });

  registerRoute(app, putBlob, async ({ request, params: { orgId, sha256 } }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    // An empty file arrives with no body at all.
    const body = request.body == null ? new Uint8Array(0) : request.body;
    if (!(body instanceof Uint8Array)) {
      throw new HangarError('VALIDATION_FAILED', 'body: expected the raw file bytes with content-type application/octet-stream');
    }
    await cache.putBlob(orgId, sha256, body);
  }, { bodyLimit: limits.maxFileBytes });
}

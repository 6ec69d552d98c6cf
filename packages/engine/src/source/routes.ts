import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BLOB_BATCH_CONTENT_TYPE, BLOB_FRAME_HEADER_BYTES, BLOB_FRAME_MAX_BYTES, HangarError, readBlobFrames } from '@hangar/core';
import { manifestEntry, putBlob, putBlobs, sourceUploadEnvelope, uploadSource } from '@hangar/core/api';
import { requireRole } from '../http/guard.js';
import { createSharedArena } from '../shared-bytes.js';
import { timeSlice } from '../time-slice.js';
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
/** The codes putBlob refuses one blob with; a batch reports them per blob and goes on. */
const BLOB_REFUSALS = new Set(['SOURCE_BLOB_HASH_MISMATCH', 'SOURCE_BLOB_NOT_DECLARED', 'VALIDATION_FAILED']);
/**
 * Frames are stored in groups (putBlobs: one SELECT and one UPDATE per group) of at most this many
 * blobs and about this many bytes (one larger blob alone). One group is stored while the next is
 * read, so at most two groups are held.
 */
const GROUP_FILES = 500;
const GROUP_BYTES = 8 * 1024 * 1024;

/**
 * The body limit of POST /blobs: a batch holds at most what one manifest may (limits.maxTotalBytes),
 * and at most 64 MiB or one largest file, whichever is more, plus a frame header for each file of
 * the largest manifest. The body is streamed, so this bounds the request's length, not memory
 * (one blob, at most limits.maxFileBytes, is held at a time).
 */
export function blobBatchBodyLimit(limits: { maxFileBytes: number; maxFiles: number; maxTotalBytes: number }): number {
  return Math.min(limits.maxTotalBytes, Math.max(limits.maxFileBytes, 64 * 1024 * 1024)) + BLOB_FRAME_HEADER_BYTES * limits.maxFiles;
}

export async function registerSourceRoutes(app: FastifyInstance, cache: SourceCache, limits: { maxFileBytes: number; maxFiles: number; maxTotalBytes: number }, checkComponent?: (name: string) => void): Promise<void> {
  if (!app.hasContentTypeParser('application/octet-stream')) {
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
  // A batch of blobs is handed to the route as the request stream: each blob is checked and
  // stored as its frame completes, and the batch is never held whole.
  if (!app.hasContentTypeParser(BLOB_BATCH_CONTENT_TYPE)) {
    app.addContentTypeParser(BLOB_BATCH_CONTENT_TYPE, (_req, payload, done) => done(null, payload));
  }
  const batchBodyLimit = blobBatchBodyLimit(limits);
  // A manifest entry is ~150 bytes of JSON; leave room for the largest manifest the limits allow.
  const manifestBodyLimit = Math.max(1024 * 1024, limits.maxFiles * 400);

  registerRoute(app, uploadSource, async ({ request, params: { orgId }, body }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    if (body.component !== undefined) checkComponent?.(body.component);
    const { component: _component, ...manifest } = body;
    return cache.upload(orgId, manifest);
  }, {
    bodyLimit: manifestBodyLimit,
    slicedBody: {
      envelope: sourceUploadEnvelope,
      item: manifestEntry,
      lists: (body) => {
        const b = body as { kind: 'full'; entries: unknown[] } | { kind: 'delta'; put: unknown[] };
        return [b.kind === 'full' ? { field: 'entries', items: b.entries } : { field: 'put', items: b.put }];
      },
    },
  });

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

  registerRoute(app, putBlobs, async ({ request, params: { orgId } }) => {
    const auth = requireRole(request, 'deployer');
    sameOrg(auth.orgId, orgId);
    const stored: string[] = [];
    const refused: { sha256: string; code: string; message: string }[] = [];
    // No body at all is an empty batch.
    if (request.body == null) return { stored, refused };
    const body = request.body as Partial<Readable>;
    if (typeof body[Symbol.asyncIterator] !== 'function') {
      throw new HangarError('VALIDATION_FAILED', `body: expected blob frames with content-type ${BLOB_BATCH_CONTENT_TYPE} (got ${JSON.stringify(String(request.headers['content-type'] ?? 'none'))}); send each file as its raw 32-byte sha256, a 4-byte big-endian length and its bytes, or PUT one file to /blobs/:sha256.`);
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > batchBodyLimit) {
      throw new HangarError('PAYLOAD_TOO_LARGE', `The batch is ${declared} bytes; this endpoint accepts up to ${batchBodyLimit} (see limits.maxTotalBytes, limits.maxFileBytes); send fewer blobs per request.`, {
        details: { size: declared, limit: batchBodyLimit },
      });
    }
    const maxBlobBytes = Math.min(limits.maxFileBytes, BLOB_FRAME_MAX_BYTES);
    // Each frame's outcome, in frame order. Frames are gathered into groups; a full group is
    // stored (putBlobs) while the body goes on streaming into the next.
    const outcomes: ({ stored: string } | { refused: { sha256: string; code: string; message: string } })[] = [];
    let frames = 0;
    let group: { index: number; sha256: string; bytes: Uint8Array }[] = [];
    let groupBytes = 0;
    let storing: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const items = group;
      group = [];
      groupBytes = 0;
      await storing; // the previous group first: at most one is being stored, and a failure stops the batch
      storing = cache.putBlobs(orgId, items).then((results) => {
        results.forEach((r, i) => {
          const { index, sha256 } = items[i]!;
          if (!r.refused) outcomes[index] = { stored: sha256 };
          else if (BLOB_REFUSALS.has(r.refused.code)) outcomes[index] = { refused: { sha256, code: r.refused.code, message: r.refused.message } };
          else throw r.refused;
        });
      });
      storing.catch(() => {}); // observed by the next flush or the final await
    };
    // Frames already buffered are read through microtasks, never letting other requests in: after a
    // wait for the store, a few MB of them took the loop for 50-75 ms. A turn every few ms instead.
    const slice = timeSlice();
    try {
      for await (const frame of readBlobFrames(body as AsyncIterable<Uint8Array>, { maxBlobBytes, maxBodyBytes: batchBodyLimit, alloc: createSharedArena() })) {
        if (slice.due()) await slice.next();
        const index = frames++;
        if (frame.kind === 'oversize') {
          outcomes[index] = {
            refused: {
              sha256: frame.sha256, code: 'SOURCE_LIMIT_EXCEEDED',
              message: `The blob ${frame.sha256} (frame at offset ${frame.offset}) is ${frame.size} bytes; the engine accepts files up to ${maxBlobBytes} bytes (limits.maxFileBytes). Nothing was kept.`,
            },
          };
          continue;
        }
        if (group.length > 0 && (group.length >= GROUP_FILES || groupBytes + frame.bytes.byteLength > GROUP_BYTES)) await flush();
        group.push({ index, sha256: frame.sha256, bytes: frame.bytes });
        groupBytes += frame.bytes.byteLength;
      }
    } catch (e) {
      // A body that breaks mid-way: the whole frames before the break are still kept (a retry need
      // not resend them), and no write outlives the request. The body's error is the answer.
      if (group.length > 0) await flush().catch(() => {});
      await storing.catch(() => {});
      throw e;
    }
    if (group.length > 0) await flush();
    await storing;
    for (const o of outcomes) {
      if (o === undefined) continue; // never: every frame has an outcome unless one failed, thrown above
      if ('stored' in o) stored.push(o.stored);
      else refused.push(o.refused);
    }
    return { stored, refused };
  });
}

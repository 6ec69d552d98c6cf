/**
 * Send a tree to the engine: a delta against the last manifest it accepted for this instance
 * (or the full manifest when there is none, or the engine no longer holds it), then send only the
 * blobs it says are missing: many per request (POST /blobs), a few requests at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOB_BATCH_CONTENT_TYPE, BLOB_FRAME_HEADER_BYTES, encodeBlobBatch, HangarError, isErrorCode, isHangarError, type ManifestEntry, type SourceUploadRequest, type SourceUploadResponse } from '@hangar/core';
import type { putBlobs as putBlobsRoute, uploadSource as uploadSourceRoute } from '@hangar/core/api';
import type { EngineClient } from '../engine-client.js';
import { fullRequest, planSourceRequest, type LastManifest, type LastManifestSource } from './delta.js';

export interface UploadResult {
  readonly manifestId: string;
  readonly kind: 'full' | 'delta';
  readonly files: number;
  readonly bytes: number;
  readonly uploadedFiles: number;
  readonly uploadedBytes: number;
}

export interface UploadOptions {
  readonly client: EngineClient;
  readonly orgId: string;
  readonly root: string;
  readonly entries: readonly ManifestEntry[];
  readonly last: LastManifest | LastManifestSource | undefined;
  /** PUTs in flight (one file each): files too large for a batch, and every file for an engine without POST /blobs. Default 8. */
  readonly concurrency?: number;
  /** Batches (POST /blobs) in flight; default 3. */
  readonly batchConcurrency?: number;
  /** A batch holds up to this many bytes, frames included (default 4 MiB); a file this large goes alone by PUT. */
  readonly batchBytes?: number;
  /** A batch holds up to this many files (default 500). */
  readonly batchFiles?: number;
  /** Bytes the hash pass already read, by sha256: sent without reading the file again. */
  readonly kept?: ReadonlyMap<string, Uint8Array>;
  readonly readFile?: (path: string) => Buffer;
  readonly onProgress?: (text: string) => void;
  /** The component the source is for: the engine refuses an unknown one before storing anything. */
  readonly component?: string;
}

async function sendManifest(o: UploadOptions, request: SourceUploadRequest): Promise<SourceUploadResponse> {
  const body = o.component === undefined ? request : { ...request, component: o.component };
  return o.client.call<typeof uploadSourceRoute>('POST', '/api/v1/orgs/:orgId/sources', { params: { orgId: o.orgId }, body });
}

export async function uploadSource(o: UploadOptions): Promise<UploadResult> {
  let request = planSourceRequest(o.last, o.entries);
  let answer: SourceUploadResponse;
  try {
    answer = await sendManifest(o, request);
  } catch (e) {
    // The engine lost or never had our base (or disagrees about it): fall back to the whole map.
    if (request.kind !== 'delta' || !isHangarError(e) || (e.code !== 'SOURCE_BASE_UNKNOWN' && e.code !== 'SOURCE_MANIFEST_MISMATCH')) throw e;
    o.onProgress?.(`the engine does not hold the last manifest (${e.code}); sending the full file list`);
    request = fullRequest(o.entries);
    answer = await sendManifest(o, request);
  }
  const bySha = new Map<string, ManifestEntry>();
  for (const e of o.entries) if (!bySha.has(e.sha256)) bySha.set(e.sha256, e);
  // Hashes not in our entries are not ours to send; the engine will say what is missing at deploy.
  const missing = [...new Set(answer.missing)].flatMap((sha) => bySha.get(sha) ?? []);
  if (missing.length > 0) o.onProgress?.(`uploading ${missing.length} new file${missing.length === 1 ? '' : 's'}`);
  const sent = await sendBlobs(o, missing);
  return { manifestId: answer.manifestId, kind: request.kind, files: answer.files, bytes: answer.bytes, ...sent };
}

/** Batches of small files (POST /blobs), in the order given; a file of `maxBytes` or more goes alone by PUT. */
export function planBatches(entries: readonly ManifestEntry[], maxBytes: number, maxFiles: number): { batches: ManifestEntry[][]; singles: ManifestEntry[] } {
  const batches: ManifestEntry[][] = [];
  const singles: ManifestEntry[] = [];
  let current: ManifestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (e.size >= maxBytes) {
      singles.push(e);
      continue;
    }
    if (current.length > 0 && (current.length >= maxFiles || bytes + BLOB_FRAME_HEADER_BYTES + e.size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += BLOB_FRAME_HEADER_BYTES + e.size;
  }
  if (current.length > 0) batches.push(current);
  return { batches, singles };
}

/** An engine older than POST /blobs answers 404 (no such endpoint) for it. */
function isNoBatchRoute(e: unknown): boolean {
  return isHangarError(e) && e.code === 'NOT_FOUND' && (e.details as { status?: unknown } | undefined)?.status === 404;
}

/**
 * Send the missing blobs: batches of up to `batchBytes` / `batchFiles` (`batchConcurrency` in
 * flight), files as large as a batch alone by PUT, and a lone missing file by PUT (one request
 * either way, and any engine takes it). An engine without the batch route (404) gets every blob
 * not yet sent by PUT, `concurrency` in flight, as before.
 */
async function sendBlobs(o: UploadOptions, missing: readonly ManifestEntry[]): Promise<{ uploadedFiles: number; uploadedBytes: number }> {
  const readDisk = o.readFile ?? ((p: string) => readFileSync(p));
  const read = (e: ManifestEntry): Uint8Array => o.kept?.get(e.sha256) ?? readDisk(join(o.root, e.path));
  const blobPath = (sha: string) => `/api/v1/orgs/${encodeURIComponent(o.orgId)}/blobs/${sha}`;
  let uploadedFiles = 0;
  let uploadedBytes = 0;
  const put = async (e: ManifestEntry): Promise<void> => {
    const bytes = read(e);
    await o.client.putBytes(blobPath(e.sha256), bytes);
    uploadedFiles++;
    uploadedBytes += bytes.byteLength;
  };
  const pool = async <T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) await work(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  };

  const { batches, singles } = missing.length > 1 ? planBatches(missing, o.batchBytes ?? 4 * 1024 * 1024, o.batchFiles ?? 500) : { batches: [], singles: [...missing] };
  const unsent: ManifestEntry[] = [];
  let noBatchRoute = false;
  let done = 0;
  type Unit = { readonly batch: readonly ManifestEntry[] } | { readonly single: ManifestEntry };
  const units: Unit[] = [...batches.map((batch) => ({ batch })), ...singles.map((single) => ({ single }))];
  await pool(units, o.batchConcurrency ?? 3, async (unit) => {
    if ('single' in unit) return put(unit.single);
    if (noBatchRoute) {
      unsent.push(...unit.batch);
      return;
    }
    const blobs = unit.batch.map((e) => ({ sha256: e.sha256, bytes: read(e) }));
    let reply: { stored: string[]; refused: { sha256: string; code: string; message: string }[] };
    try {
      reply = await o.client.callBytes<typeof putBlobsRoute>('POST', '/api/v1/orgs/:orgId/blobs', { params: { orgId: o.orgId } }, encodeBlobBatch(blobs), BLOB_BATCH_CONTENT_TYPE);
    } catch (e) {
      if (!isNoBatchRoute(e)) throw e;
      if (!noBatchRoute) o.onProgress?.('the engine has no batch upload (POST /blobs); uploading one file per request');
      noBatchRoute = true;
      unsent.push(...unit.batch);
      return;
    }
    const first = reply.refused[0];
    if (first !== undefined) {
      const more = reply.refused.length > 1 ? ` (and ${reply.refused.length - 1} more file${reply.refused.length === 2 ? '' : 's'} refused)` : '';
      const file = unit.batch.find((e) => e.sha256 === first.sha256)?.path;
      throw new HangarError(isErrorCode(first.code) ? first.code : 'INTERNAL', `${first.message}${file === undefined ? '' : ` (file ${JSON.stringify(file)})`}${more}`, {
        details: { refused: reply.refused.slice(0, 20).map((r) => ({ sha256: r.sha256, code: r.code })) },
      });
    }
    const size = new Map(blobs.map((b) => [b.sha256, b.bytes.byteLength] as const));
    for (const sha of reply.stored) {
      uploadedFiles++;
      uploadedBytes += size.get(sha) ?? 0;
    }
    done += unit.batch.length;
    if (batches.length > 1 && done < missing.length) o.onProgress?.(`uploaded ${done} of ${missing.length} files`);
  });
  if (unsent.length > 0) await pool(unsent, o.concurrency ?? 8, put);
  return { uploadedFiles, uploadedBytes };
}

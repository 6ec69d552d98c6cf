/**
 * Send a tree to the engine: a delta against the last manifest it accepted for this instance
 * (or the full manifest when there is none, or the engine no longer holds it), then PUT only the
 * blobs it says are missing, a few at a time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHangarError, type ManifestEntry, type SourceUploadRequest, type SourceUploadResponse } from '@hangar/core';
import type { uploadSource as uploadSourceRoute } from '@hangar/core/api';
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
  readonly concurrency?: number;
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
  const missing = [...new Set(answer.missing)];
  const read = o.readFile ?? ((p: string) => readFileSync(p));
  let uploadedFiles = 0;
  let uploadedBytes = 0;
  if (missing.length > 0) o.onProgress?.(`uploading ${missing.length} new file${missing.length === 1 ? '' : 's'}`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < missing.length) {
      const sha = missing[next++]!;
      const entry = bySha.get(sha);
      if (entry === undefined) continue; // not ours to send; the engine will say what is missing at deploy
      const bytes = read(join(o.root, entry.path));
      await o.client.putBytes(`/api/v1/orgs/${encodeURIComponent(o.orgId)}/blobs/${sha}`, bytes);
      uploadedFiles++;
      uploadedBytes += bytes.byteLength;
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, missing.length) }, worker));
  return { manifestId: answer.manifestId, kind: request.kind, files: answer.files, bytes: answer.bytes, uploadedFiles, uploadedBytes };
}

import { findPathConflict, HangarError, invalidPathReason, normalizeMode, printablePath, type ManifestEntry } from '@hangar/core';
import { z } from 'zod';
import { sourceUpload } from '@hangar/core/api';

export interface SourceLimits {
  readonly maxFiles: number;
  readonly maxTotalBytes: number;
  readonly maxFileBytes: number;
}

/** The wire shape of POST /sources (declared in the API contract); the rules that name a path are checked by `checkEntries`. */
export const sourceUploadSchema = sourceUpload;

export const sha256Pattern = /^[0-9a-f]{64}$/;

function invalid(where: string, path: string, rule: string): never {
  throw new HangarError('SOURCE_MANIFEST_INVALID', `${where} ${JSON.stringify(path)} ${rule}.`, { details: { path, rule } });
}

/** A path no package can hold (the same rules the CLI checks before uploading): refused here, at
 * upload, rather than failing later inside the cloud with an unknown error. */
function invalidPath(where: string, path: string, rule: string): never {
  throw new HangarError('SOURCE_PATH_INVALID', `${where} ${printablePath(path)} ${rule}; rename it in the source folder and deploy again.`, { details: { path, rule } });
}

/**
 * Checks one batch of entries (a full manifest, or a delta's `put`): each path relative and
 * clean, listed once, a lowercase hex sha256, a whole non-negative size within the per-file limit,
 * and the same size wherever one hash appears. Returns the entries with modes normalised.
 */
export function checkEntries(entries: readonly ManifestEntry[], limits: SourceLimits, where = 'file'): ManifestEntry[] {
  const seen = new Set<string>();
  const sizeOf = new Map<string, number>();
  const out: ManifestEntry[] = [];
  for (const e of entries) {
    const reason = invalidPathReason(e.path);
    if (reason) invalidPath(where, e.path, reason);
    if (seen.has(e.path)) invalid(where, e.path, 'is listed twice');
    seen.add(e.path);
    if (!sha256Pattern.test(e.sha256)) invalid(where, e.path, `has sha256 ${JSON.stringify(e.sha256.slice(0, 80))}, expected 64 lowercase hex characters`);
    if (!Number.isSafeInteger(e.size) || e.size < 0) invalid(where, e.path, `has size ${e.size}, expected a whole number of bytes, 0 or more`);
    if (e.size > limits.maxFileBytes) {
      throw new HangarError('SOURCE_LIMIT_EXCEEDED', `${where} ${JSON.stringify(e.path)} is ${e.size} bytes; the engine accepts files up to ${limits.maxFileBytes} bytes (limits.maxFileBytes).`, {
        details: { path: e.path, size: e.size, limit: limits.maxFileBytes },
      });
    }
    const known = sizeOf.get(e.sha256);
    if (known !== undefined && known !== e.size) invalid(where, e.path, `has size ${e.size} but another file with the same sha256 has size ${known}`);
    sizeOf.set(e.sha256, e.size);
    out.push({ path: e.path, sha256: e.sha256, size: e.size, mode: normalizeMode(e.mode) });
  }
  return out;
}

/** The whole manifest's totals against the engine's limits, plus the same-hash-same-size rule across it. */
export function checkTotals(entries: Iterable<ManifestEntry>, limits: SourceLimits): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const sizeOf = new Map<string, number>();
  const paths: string[] = [];
  for (const e of entries) {
    paths.push(e.path);
    files++;
    bytes += e.size;
    const known = sizeOf.get(e.sha256);
    if (known !== undefined && known !== e.size) invalid('file', e.path, `has size ${e.size} but another file with the same sha256 has size ${known}`);
    sizeOf.set(e.sha256, e.size);
  }
  if (files > limits.maxFiles) {
    throw new HangarError('SOURCE_LIMIT_EXCEEDED', `The source has ${files} files; the engine accepts up to ${limits.maxFiles} (limits.maxFiles). Exclude what the function does not need from inputs.src.`, {
      details: { files, limit: limits.maxFiles },
    });
  }
  if (bytes > limits.maxTotalBytes) {
    throw new HangarError('SOURCE_LIMIT_EXCEEDED', `The source is ${bytes} bytes; the engine accepts up to ${limits.maxTotalBytes} bytes in total (limits.maxTotalBytes).`, {
      details: { bytes, limit: limits.maxTotalBytes },
    });
  }
  const conflict = findPathConflict(paths);
  if (conflict) invalidPath('file', conflict.file, `is also a folder (of ${printablePath(conflict.under)}): a path cannot be both`);
  return { files, bytes };
}

/** Checks a delta's deleted paths; each must be a clean path listed once. */
export function checkDeletes(paths: readonly string[]): void {
  const seen = new Set<string>();
  for (const p of paths) {
    const reason = invalidPathReason(p);
    if (reason) invalidPath('deleted path', p, reason);
    if (seen.has(p)) invalid('deleted path', p, 'is listed twice');
    seen.add(p);
  }
}

/** Compact storage form: one [path, sha256, size, mode] tuple per entry, sorted by path. */
export function encodeEntries(entries: Iterable<ManifestEntry>): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return JSON.stringify(sorted.map((e) => [e.path, e.sha256, e.size, e.mode]));
}

export function decodeEntries(text: string): ManifestEntry[] {
  return (JSON.parse(text) as [string, string, number, number][]).map(([path, sha256, size, mode]) => ({ path, sha256, size, mode }));
}

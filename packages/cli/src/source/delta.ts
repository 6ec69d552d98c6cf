/**
 * What to send the engine for a tree: a delta against the last manifest the engine accepted for
 * this instance (a few hundred bytes when little changed), or the full entries when there is no
 * such manifest. Pure.
 */
import { manifestId, type ManifestEntry, type SourceUploadRequest } from '@hangar/core';

export interface LastManifest {
  readonly manifestId: string;
  readonly entries: ReadonlyMap<string, ManifestEntry>;
}

export function fullRequest(entries: readonly ManifestEntry[]): SourceUploadRequest {
  return { kind: 'full', entries };
}

export function planSourceRequest(last: LastManifest | undefined, entries: readonly ManifestEntry[]): SourceUploadRequest {
  if (last === undefined) return fullRequest(entries);
  const put: ManifestEntry[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.path);
    const before = last.entries.get(e.path);
    if (before === undefined || before.sha256 !== e.sha256 || before.mode !== e.mode || before.size !== e.size) put.push(e);
  }
  const del: string[] = [];
  for (const path of last.entries.keys()) if (!seen.has(path)) del.push(path);
  return { kind: 'delta', base: last.manifestId, put, delete: del.sort(), manifestId: manifestId(entries) };
}

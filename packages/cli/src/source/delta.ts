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

/** The last manifest, read lazily: its id is cheap, its entries are only needed when it differs. */
export interface LastManifestSource {
  readonly manifestId: string;
  entries(): ReadonlyMap<string, ManifestEntry> | undefined;
}

export function fullRequest(entries: readonly ManifestEntry[]): SourceUploadRequest {
  return { kind: 'full', entries };
}

export function planSourceRequest(last: LastManifest | LastManifestSource | undefined, entries: readonly ManifestEntry[], id: string = manifestId(entries)): SourceUploadRequest {
  if (last === undefined) return fullRequest(entries);
  // Nothing changed: an empty delta, without reading the last manifest's entries at all.
  if (last.manifestId === id) return { kind: 'delta', base: id, put: [], delete: [], manifestId: id };
  const lastEntries = typeof last.entries === 'function' ? last.entries() : last.entries;
  if (lastEntries === undefined) return fullRequest(entries);
  last = { manifestId: last.manifestId, entries: lastEntries };
  const put: ManifestEntry[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    seen.add(e.path);
    const before = last.entries.get(e.path);
    if (before === undefined || before.sha256 !== e.sha256 || before.mode !== e.mode || before.size !== e.size) put.push(e);
  }
  const del: string[] = [];
  for (const path of last.entries.keys()) if (!seen.has(path)) del.push(path);
  return { kind: 'delta', base: last.manifestId, put, delete: del.sort(), manifestId: id };
}

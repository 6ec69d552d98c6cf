/**
 * The source-cache protocol shared by the CLI and the engine. A manifest maps each file's
 * project-relative POSIX path to its content hash and mode. Its id is the sha256 of a canonical
 * serialisation, so the CLI and the engine compute the same id for the same tree and can send
 * only what changed against a manifest the other side already holds.
 */
import { createHash } from 'node:crypto';

export interface ManifestEntry {
  /** POSIX path relative to the source root: no leading "/", no "..", no "." segments, no "\\". */
  readonly path: string;
  /** Lowercase hex sha256 of the file's bytes. */
  readonly sha256: string;
  readonly size: number;
  /** 0o644 or 0o755: only the executable bit is kept. */
  readonly mode: number;
}

/** CLI -> engine: POST /api/v1/orgs/:orgId/sources */
export type SourceUploadRequest =
  | { readonly kind: 'full'; readonly entries: readonly ManifestEntry[] }
  | {
      readonly kind: 'delta';
      /** A manifest id the engine already holds for this org (from the CLI's last deploy). */
      readonly base: string;
      /** Added or changed files. */
      readonly put: readonly ManifestEntry[];
      /** Removed paths. */
      readonly delete: readonly string[];
      /** The id the CLI computed for base + changes; the engine checks it gets the same. */
      readonly manifestId: string;
    };

/** engine -> CLI. 409 SOURCE_BASE_UNKNOWN when a delta's base is not held: send kind "full". */
export interface SourceUploadResponse {
  readonly manifestId: string;
  /** Hashes this org's blob store does not hold yet: PUT /api/v1/orgs/:orgId/blobs/:sha256 each (raw bytes). */
  readonly missing: readonly string[];
  readonly files: number;
  readonly bytes: number;
}

export function normalizeMode(mode: number): number {
  return mode & 0o111 ? 0o755 : 0o644;
}

/** The manifest id: sha256 over entries sorted by path, one "path\0sha256\0mode\n" line each. */
export function manifestId(entries: Iterable<ManifestEntry>): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const h = createHash('sha256');
  for (const e of sorted) h.update(`${e.path}\0${e.sha256}\0${normalizeMode(e.mode).toString(8)}\n`);
  return h.digest('hex');
}

/** Apply a delta to a base manifest (a Map keyed by path). Returns a new Map. */
export function applyDelta(base: ReadonlyMap<string, ManifestEntry>, put: readonly ManifestEntry[], del: readonly string[]): Map<string, ManifestEntry> {
  const next = new Map(base);
  for (const p of del) next.delete(p);
  for (const e of put) next.set(e.path, e);
  return next;
}

/** Why a path is not acceptable in a manifest, or undefined when it is. */
export function invalidPathReason(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.length > 1024) return 'is longer than 1024 characters';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute; paths must be relative to the source folder';
  if (path.includes('\\')) return 'contains a backslash; use "/"';
  if (path.includes('\0')) return 'contains a NUL byte';
  const parts = path.split('/');
  if (parts.some((p) => p === '..')) return 'contains ".."';
  if (parts.some((p) => p === '' || p === '.')) return 'has an empty or "." segment';
  return undefined;
}

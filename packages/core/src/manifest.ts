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
  | { readonly kind: 'full'; readonly entries: readonly ManifestEntry[]; readonly component?: string }
  | {
      readonly kind: 'delta';
      /** The component the source is for; the engine refuses an unknown one before storing anything. */
      readonly component?: string;
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
  let sorted = Array.isArray(entries) ? (entries as readonly ManifestEntry[]) : [...entries];
  // A tree walk hands its entries over sorted already: checking costs less than sorting a copy.
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.path > sorted[i]!.path) {
      sorted = [...sorted].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      break;
    }
  }
  // The same bytes as one update per entry, in about 64 KB pieces: 12,000 updates (one native call
  // and one UTF-8 encoding each) were most of this function in a no-op deploy's profile.
  const h = createHash('sha256');
  let chunk = '';
  for (const e of sorted) {
    chunk += `${e.path}\0${e.sha256}\0${normalizeMode(e.mode).toString(8)}\n`;
    if (chunk.length >= 65536) {
      h.update(chunk);
      chunk = '';
    }
  }
  if (chunk !== '') h.update(chunk);
  return h.digest('hex');
}

/** Apply a delta to a base manifest (a Map keyed by path). Returns a new Map. */
export function applyDelta(base: ReadonlyMap<string, ManifestEntry>, put: readonly ManifestEntry[], del: readonly string[]): Map<string, ManifestEntry> {
  const next = new Map(base);
  for (const p of del) next.delete(p);
  for (const e of put) next.set(e.path, e);
  return next;
}

// Characters no file name needs and that make a name lie about itself: C0/C1 controls and DEL
// (a newline forges a log line, ESC drives the terminal), the bidi embeddings, overrides and
// isolates of "Trojan Source" (U+202A-202E, U+2066-2069) that show a name reordered, and UTF-16
// surrogates that pair with nothing (not text: no file system can store them as written).
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Linux, macOS and Windows all stop at 255 bytes per name. */
export const MAX_PATH_SEGMENT_BYTES = 255;
export const MAX_PATH_BYTES = 1024;

function utf8Length(s: string): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no count.
  return s.length * 3 <= MAX_PATH_SEGMENT_BYTES ? s.length : Buffer.byteLength(s, 'utf8');
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNUSUAL_CHAR = /[\u0000-\u001f\u007f-\u009f\\:\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/**
 * The common case, decided fast (a 12,000-file tree is checked on every deploy): no unusual
 * character, no empty, "." or ".." segment, no segment over 85 characters, at most 341 in all
 * (3 bytes per UTF-16 unit at most, so within the byte limits). Anything else takes the slow
 * path below, which names the rule broken. Native string searches beat a character loop here.
 */
function isPlainPath(path: string): boolean {
  const n = path.length;
  if (n === 0 || n * 3 > MAX_PATH_BYTES || UNUSUAL_CHAR.test(path)) return false;
  if (path.charCodeAt(0) === 0x2f || path.charCodeAt(n - 1) === 0x2f || path.includes('//')) return false;
  if (path.charCodeAt(0) === 0x2e || path.includes('/.')) {
    if (path === '.' || path === '..' || path.startsWith('./') || path.startsWith('../') || path.endsWith('/.') || path.endsWith('/..') || path.includes('/./') || path.includes('/../')) return false;
  }
  if (n * 3 > MAX_PATH_SEGMENT_BYTES) {
    for (let start = 0; ;) {
      const i = path.indexOf('/', start);
      if (((i === -1 ? n : i) - start) * 3 > MAX_PATH_SEGMENT_BYTES) return false;
      if (i === -1) return true;
      start = i + 1;
    }
  }
  return true;
}

/** Why a path is not acceptable in a manifest, or undefined when it is. */
export function invalidPathReason(path: string): string | undefined {
  if (isPlainPath(path)) return undefined;
  if (path.length === 0) return 'is empty';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute; paths must be relative to the source folder';
  if (path.includes('\\')) return 'contains a backslash; use "/"';
  if (path.includes('\0')) return 'contains a NUL byte';
  if (CONTROL.test(path)) return 'contains a control character (such as a newline or an escape)';
  if (BIDI.test(path)) return 'contains a bidi override or isolate (U+202A-202E, U+2066-2069), which makes a name display as something else';
  if (LONE_SURROGATE.test(path)) return 'contains an unpaired UTF-16 surrogate, which is not text';
  if (path.length > MAX_PATH_BYTES || (path.length * 3 > MAX_PATH_BYTES && Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES)) {
    return `is longer than ${MAX_PATH_BYTES} bytes`;
  }
  const parts = path.split('/');
  if (parts.some((p) => p === '..')) return 'contains ".."';
  if (parts.some((p) => p === '' || p === '.')) return 'has an empty or "." segment';
  const long = parts.find((p) => utf8Length(p) > MAX_PATH_SEGMENT_BYTES);
  if (long !== undefined) return `has a segment of ${Buffer.byteLength(long, 'utf8')} bytes (${JSON.stringify(long.slice(0, 20))}...); file systems allow at most ${MAX_PATH_SEGMENT_BYTES} bytes per name`;
  return undefined;
}

/**
 * A path listed as a file that is also a folder of another path (`x` and `x/y`): no file system
 * can hold both, so the package could not be built. Returns the first pair found.
 */
export function findPathConflict(paths: Iterable<string>): { file: string; under: string } | undefined {
  // Sorted, every path under "x/" follows "x/" itself: one binary search per path, no substrings.
  const sorted = [...paths].sort();
  for (const file of sorted) {
    const dir = `${file}/`;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < dir) lo = mid + 1;
      else hi = mid;
    }
    const under = sorted[lo];
    if (under !== undefined && under.startsWith(dir)) return { file, under };
  }
  return undefined;
}

/** A path quoted for a message: controls, bidi characters and lone surrogates escaped, long ones cut. */
export function printablePath(path: string): string {
  const cut = path.length > 200 ? `${path.slice(0, 200)}...` : path;
  return JSON.stringify(cut).replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

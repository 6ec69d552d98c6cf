import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { applyDelta, HangarError, manifestId, type ManifestEntry, type SourceUploadRequest, type SourceUploadResponse } from '@hangar/core';
import { timeSlice } from '../time-slice.js';
import type { Clock, Db } from '../types.js';
import { isBlobMissing, type BlobStore } from './blob-store.js';
import { checkDeletes, checkEntries, checkTotals, decodeEntries, encodeEntries, sha256Pattern, type SourceLimits } from './manifest-rules.js';
import { createPackager, type Packager } from './zip-pool.js';
import { methodFor, sortEntries } from './zip.js';
import './tables.js';

export interface SourceCache {
  /** POST /sources: store the manifest (full or delta against one the org holds) and say which blobs to upload. */
  upload(orgId: string, request: SourceUploadRequest): Promise<SourceUploadResponse>;
  /** PUT /blobs/:sha256: keep the bytes only if they hash to `sha256` and have the size a manifest declared. */
  putBlob(orgId: string, sha256: string, bytes: Uint8Array): Promise<{ stored: boolean }>;
  /**
   * POST /blobs: putBlob's checks for a group of blobs, with one SELECT and one UPDATE of org_blobs
   * per 500 blobs instead of one each. A blob putBlob would refuse (VALIDATION_FAILED,
   * SOURCE_BLOB_NOT_DECLARED, SOURCE_BLOB_HASH_MISMATCH) gets its error in its outcome and the rest
   * are kept; any other failure (database, blob store) throws. Outcomes are in the order given.
   */
  putBlobs(orgId: string, blobs: readonly BlobUpload[]): Promise<BlobOutcome[]>;
  /** Throws SOURCE_MANIFEST_UNKNOWN / SOURCE_BLOBS_MISSING unless the org holds the manifest and all its blobs. */
  requireComplete(orgId: string, manifestId: string): Promise<{ files: number; bytes: number }>;
  /** The file paths of a manifest the org holds (SOURCE_MANIFEST_UNKNOWN otherwise). */
  paths(orgId: string, manifestId: string): Promise<string[]>;
  /** The deterministic zip of a manifest, built once and then read from `dataDir/packages/<id>.zip`. */
  assembleZip(manifestId: string): Promise<Uint8Array>;
  /** The same zip as a file to stream (built first if needed): never read whole into memory. */
  assembleFile(manifestId: string): Promise<PackageFile>;
  /**
   * The manifest split for a dependencies layer: the app's own files (`code`), and `node_modules/**`
   * under `nodejs/node_modules/` (`deps`, absent without node_modules), where Lambda resolves a
   * Node layer. Each part is keyed by the manifest id of its own entries, so a code-only change
   * keeps `deps.id`; each zip is built once and cached like assembleZip's.
   */
  assembleLayered(manifestId: string): Promise<LayeredPackages>;
  /** Resolves once the packager has nothing queued, nothing being compressed and no entry file left to write (tests). */
  idle(): Promise<void>;
  /** Stops the packager's background compression and its worker threads (engine shutdown). */
  close(): Promise<void>;
}

/** One uploaded blob: the hash the client claims and the bytes. */
export interface BlobUpload {
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/** What became of one blob of putBlobs: kept, or refused with the error putBlob would throw. */
export type BlobOutcome = { readonly sha256: string; readonly refused?: undefined } | { readonly sha256: string; readonly refused: HangarError };

/** A built package on disk: its size, and a fresh read stream of it on each `stream()` call. */
export interface PackageFile {
  readonly size: number;
  stream(): Readable;
}

/**
 * One part of a split package: the id of its entries, its unzipped size, and its zip (built on
 * first call) as bytes (`zip`) or as a file to stream (`file`).
 */
export interface PackagePart {
  readonly id: string;
  readonly unzippedBytes: number;
  zip(): Promise<Uint8Array>;
  file(): Promise<PackageFile>;
}

export interface LayeredPackages {
  readonly code: PackagePart;
  readonly deps?: PackagePart;
}

/** Which kind of package a build is, so it builds on the last one of the same kind. */
type Lineage = 'whole' | 'code' | 'deps';

/** The folder split into the dependencies layer. */
const DEPS_PREFIX = 'node_modules/';

/** Splits entries into the app's own and node_modules (renamed to nodejs/node_modules/…, the layer's layout). */
export function splitDependencies(entries: readonly ManifestEntry[]): { code: ManifestEntry[]; deps: ManifestEntry[] } {
  const code: ManifestEntry[] = [];
  const deps: ManifestEntry[] = [];
  for (const e of entries) {
    if (e.path.startsWith(DEPS_PREFIX)) deps.push({ ...e, path: `nodejs/${e.path}` });
    else code.push(e);
  }
  return { code, deps };
}

export interface SourceCacheDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly limits: SourceLimits & { readonly maxManifestEntries: number };
  /** Where assembled packages are cached: `<packagesDir>/<manifestId>.zip`. */
  readonly packagesDir: string;
  /** Builds zips off the event loop; default a pool of two, with compressed entries kept in `<packagesDir>/entries`. */
  readonly packager?: Packager;
  /**
   * Built packages shared by every engine (S3), keyed by manifest id: a package missing from
   * `packagesDir` is downloaded from here before it is built, and one built here is uploaded.
   */
  readonly sharedPackages?: BlobStore;
  /** A shared package could not be read or written (the deploy goes on: the package is built or kept locally). */
  readonly onWarn?: (msg: string, fields: Record<string, unknown>) => void;
  /**
   * Uploaded blobs announced by a manifest whose paths this engine remembers, for compressing them
   * on arrival (`Packager.precompress`); the oldest are forgotten beyond this. Default 200,000.
   */
  readonly maxPendingHints?: number;
}

/** Lets other requests run between batches of a long manifest's work. */
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Rows per statement when a manifest's hashes are looked up or declared, one statement per turn of
 * the event loop: better-sqlite3 runs each on the loop's thread, and 500 rows (an insert with its
 * conflict check) took 20-50 ms while a first upload loaded the machine.
 */
export const SQL_SLICE = 200;

/** A manifest held decoded in memory: its entries by path, its total size, and (once a delta built on it) its shape. */
interface Held {
  readonly entries: ReadonlyMap<string, ManifestEntry>;
  readonly bytes: number;
  readonly shape?: ManifestShape;
}

/**
 * What checkTotals' cross-entry rules need of a manifest, kept so a delta is checked by what it
 * changes: a size for every hash, and every folder a path lies in. Both may hold more than the
 * manifest does (a deleted file's hash or folder): that only sends a delta to the full check.
 */
interface ManifestShape {
  readonly sizeOf: ReadonlyMap<string, number>;
  readonly dirs: ReadonlySet<string>;
}

function addDirs(dirs: Set<string>, path: string): void {
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const dir = path.slice(0, i);
    if (dirs.has(dir)) return; // and so are its parents
    dirs.add(dir);
  }
}

function shapeOf(entries: Iterable<ManifestEntry>): ManifestShape {
  const sizeOf = new Map<string, number>();
  const dirs = new Set<string>();
  for (const e of entries) {
    sizeOf.set(e.sha256, e.size);
    addDirs(dirs, e.path);
  }
  return { sizeOf, dirs };
}

/**
 * checkTotals for `next` = `base` with a delta applied, looking only at what the delta changes:
 * the base was checked when it was stored. Undefined when the answer is not plainly "fine" (a hash
 * seen with another size, a path that may be a folder or under a file, a limit passed): the caller
 * then runs checkTotals on the whole manifest, which decides and words the error.
 */
export function deltaTotals(base: Held, put: readonly ManifestEntry[], del: readonly string[], next: ReadonlyMap<string, ManifestEntry>, limits: SourceLimits): { totals: { files: number; bytes: number }; shape: ManifestShape } | undefined {
  const prior = base.shape ?? shapeOf(base.entries.values());
  let bytes = base.bytes;
  const touched = new Set(del);
  for (const e of put) touched.add(e.path);
  for (const p of touched) bytes -= base.entries.get(p)?.size ?? 0;
  for (const e of put) bytes += e.size;
  const files = next.size;
  if (files > limits.maxFiles || bytes > limits.maxTotalBytes) return undefined;
  const sizeOf = new Map(prior.sizeOf);
  const dirs = new Set(prior.dirs);
  for (const e of put) {
    const known = sizeOf.get(e.sha256);
    if (known !== undefined && known !== e.size) return undefined;
    sizeOf.set(e.sha256, e.size);
    addDirs(dirs, e.path);
  }
  for (const e of put) {
    if (dirs.has(e.path)) return undefined; // something may lie under it
    for (let i = e.path.indexOf('/'); i > 0; i = e.path.indexOf('/', i + 1)) if (next.has(e.path.slice(0, i))) return undefined; // a file where its folder is
  }
  return { totals: { files, bytes }, shape: { sizeOf, dirs } };
}

/** The same entries in the same order. */
function sameEntries(a: readonly ManifestEntry[], b: readonly ManifestEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.path !== y.path || x.sha256 !== y.sha256 || x.size !== y.size || x.mode !== y.mode) return false;
  }
  return true;
}

/** A manifest (or what a delta gives) over limits.maxManifestEntries: refused before anything is stored. */
function checkEntryCount(count: number, limit: number, what: string): void {
  if (count > limit) {
    throw new HangarError('SOURCE_LIMIT_EXCEEDED', `${what} ${count} entries; the engine accepts up to ${limit} per manifest (limits.maxManifestEntries, HANGAR_MAX_MANIFEST_ENTRIES). Exclude what the function does not need from inputs.src (node_modules of dev tools, build caches), or bundle it.`, {
      details: { entries: count, limit },
    });
  }
}

/**
 * checkEntries over a long list in batches, letting other requests run between them. A path
 * listed in two batches is caught here by asking the same rules about the pair, so the message is
 * the one checkEntries gives; same-hash-same-size across batches is checkTotals' job.
 */
async function checkEntriesInBatches(entries: readonly ManifestEntry[], limits: SourceLimits): Promise<ManifestEntry[]> {
  if (entries.length <= 500) return checkEntries(entries, limits);
  const out: ManifestEntry[] = [];
  const seen = new Set<string>();
  const slice = timeSlice();
  for (let i = 0; i < entries.length; i += 500) {
    if (slice.due()) await slice.next();
    for (const e of checkEntries(entries.slice(i, i + 500), limits)) {
      if (seen.has(e.path)) checkEntries([e, e], limits);
      seen.add(e.path);
      out.push(e);
    }
  }
  return out;
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * The packager reads blobs one after another in zip order; a remote store (S3) would then pay one
 * round trip per file. This reads ahead: up to `ahead` blobs (and about `aheadBytes`) are fetched
 * while the packager works on the current one. A read out of that order just fetches.
 */
function prefetching(blobs: BlobStore, entries: readonly ManifestEntry[], ahead = 8, aheadBytes = 16 * 1024 * 1024): (sha256: string) => Promise<Uint8Array> {
  const order = sortEntries(entries);
  const pending = new Map<number, Promise<Uint8Array>>();
  let next = 0;
  let cursor = 0;
  const fill = (): void => {
    let bytes = 0;
    for (const i of pending.keys()) bytes += order[i]!.size;
    while (next < order.length && next < cursor + ahead && (pending.size === 0 || bytes + order[next]!.size <= aheadBytes)) {
      const p = blobs.get(order[next]!.sha256);
      p.catch(() => {}); // observed when read; never an unhandled rejection meanwhile
      pending.set(next, p);
      bytes += order[next]!.size;
      next++;
    }
  };
  return (sha) => {
    if (order[cursor]?.sha256 !== sha) return blobs.get(sha);
    fill();
    const p = pending.get(cursor)!;
    pending.delete(cursor);
    cursor++;
    return p;
  };
}

export function createSourceCache(deps: SourceCacheDeps): SourceCache {
  const { db, blobs, clock, limits } = deps;
  const packager = deps.packager ?? createPackager({ entriesDir: join(deps.packagesDir, 'entries'), ...(deps.onWarn ? { onWarn: deps.onWarn } : {}) });
  /**
   * Blobs a manifest declared missing, by `<org>:<sha256>`, with the paths it lists them under (one
   * per compression method): when one arrives (putBlob) its zip entry is made in the background, so
   * the package build finds it made. Only this engine's manifests: a blob uploaded to another engine
   * of a shared store is compressed by whichever builds the package.
   */
  const maxHints = deps.maxPendingHints ?? 200_000;
  const hints = new Map<string, string[]>();
  const hint = async (orgId: string, entries: Iterable<ManifestEntry>, missing: readonly string[]): Promise<void> => {
    if (missing.length === 0) return;
    const wanted = new Set(missing);
    const slice = timeSlice();
    for (const e of entries) {
      if (slice.due()) await slice.next();
      if (!wanted.has(e.sha256)) continue;
      const key = `${orgId}:${e.sha256}`;
      const paths = hints.get(key);
      if (!paths) hints.set(key, [e.path]);
      else if (!paths.some((p) => methodFor(p) === methodFor(e.path))) paths.push(e.path);
    }
    while (hints.size > maxHints) hints.delete(hints.keys().next().value!);
  };
  const building = new Map<string, Promise<string>>();
  /** The last package built of each lineage (whole, code, deps): the next one copies unchanged entries out of it. */
  const lastBuilt = new Map<Lineage, { file: string; entries: readonly ManifestEntry[] }>();
  // The last few manifests, decoded: the next delta from the same CLI builds on one of them, and
  // the deployment that follows (requireComplete, paths, assembleLayered) reads them from here.
  const recent = new Map<string, Held>();
  const remember = (orgId: string, id: string, held: Held): void => {
    const key = `${orgId}:${id}`;
    recent.delete(key);
    recent.set(key, held);
    while (recent.size > 4) recent.delete(recent.keys().next().value!);
  };
  /** A manifest this engine decoded lately, whichever org sent it (the id is the content's hash). */
  const recentById = (id: string): Held | undefined => {
    for (const [key, held] of recent) if (key.endsWith(`:${id}`)) return held;
    return undefined;
  };
  /**
   * The hashes an upload answered as missing, by `<org>:<manifest id>`: every other blob of that
   * manifest was stored then, so requireComplete checks only these (not the whole manifest's).
   */
  const pendingBlobs = new Map<string, readonly string[]>();
  const rememberPending = (orgId: string, id: string, missing: readonly string[]): void => {
    const key = `${orgId}:${id}`;
    pendingBlobs.delete(key);
    pendingBlobs.set(key, missing);
    while (pendingBlobs.size > 16) pendingBlobs.delete(pendingBlobs.keys().next().value!);
  };
  /** The last split of a manifest into code and node_modules: the next split reuses its node_modules id when those entries did not change. */
  let lastSplit: { readonly deps: readonly ManifestEntry[]; readonly depsId: string } | undefined;

  /** Hashes (of those given) that this org has not uploaded and had verified. */
  async function missingFor(orgId: string, hashes: Iterable<string>): Promise<string[]> {
    const wanted = [...new Set(hashes)];
    const held = new Set<string>();
    for (const part of chunk(wanted, SQL_SLICE)) {
      await yieldToLoop();
      const rows = await db.selectFrom('org_blobs').select('sha256').where('org_id', '=', orgId).where('stored', '=', 1).where('sha256', 'in', part).execute();
      for (const r of rows) held.add(r.sha256);
    }
    return wanted.filter((h) => !held.has(h)).sort();
  }

  async function declare(orgId: string, entries: Iterable<ManifestEntry> | ReadonlyMap<string, number>, missing: readonly string[]): Promise<void> {
    if (missing.length === 0) return;
    let sizeOf: ReadonlyMap<string, number>;
    if (entries instanceof Map) sizeOf = entries as ReadonlyMap<string, number>;
    else {
      const sizes = new Map<string, number>();
      for (const e of entries as Iterable<ManifestEntry>) sizes.set(e.sha256, e.size);
      sizeOf = sizes;
    }
    const now = clock.now().toISOString();
    const rows = missing.map((sha256) => ({ org_id: orgId, sha256, size: sizeOf.get(sha256)!, stored: 0, created_at: now }));
    for (const part of chunk(rows, SQL_SLICE)) {
      await yieldToLoop();
      await db
        .insertInto('org_blobs')
        .values(part)
        .onConflict((oc) => oc.columns(['org_id', 'sha256']).doUpdateSet((eb) => ({ size: eb.ref('excluded.size') })).where('org_blobs.stored', '=', 0))
        .execute();
    }
  }

  async function loadManifest(orgId: string, id: string) {
    return db.selectFrom('manifests').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async function save(orgId: string, id: string, entries: Iterable<ManifestEntry>, totals: { files: number; bytes: number }, complete: boolean): Promise<void> {
    const held = await db.selectFrom('manifests').select('complete').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (held) {
      // Already stored (a no-op redeploy): skip re-encoding thousands of entries.
      if (complete && held.complete !== 1) await db.updateTable('manifests').set({ complete: 1 }).where('org_id', '=', orgId).where('id', '=', id).execute();
      return;
    }
    await yieldToLoop();
    const encoded = encodeEntries(entries);
    await yieldToLoop();
    await db
      .insertInto('manifests')
      .values({ id, org_id: orgId, entries: encoded, files: totals.files, bytes: totals.bytes, complete: complete ? 1 : 0, created_at: clock.now().toISOString() })
      .onConflict((oc) => oc.columns(['org_id', 'id']).doNothing())
      .execute();
    if (complete) await db.updateTable('manifests').set({ complete: 1 }).where('org_id', '=', orgId).where('id', '=', id).execute();
  }

  /**
   * The path of `<packagesDir>/<id>.zip`: there already, or downloaded from the shared copy, or
   * built from `loadEntries()` once (concurrent callers share the build). Nothing is read whole.
   */
  function buildCached(id: string, lineage: Lineage, loadEntries: () => Promise<readonly ManifestEntry[]>): Promise<string> {
    const inflight = building.get(id);
    if (inflight) return inflight;
    const p = (async () => {
      const file = join(deps.packagesDir, `${id}.zip`);
      try {
        if ((await stat(file)).isFile()) return file;
      } catch {
        // not cached yet
      }
      const shared = deps.sharedPackages;
      if (shared) {
        // Another engine may have built it: the same bytes, since the build is deterministic.
        try {
          const zip = await shared.get(id);
          await mkdir(deps.packagesDir, { recursive: true });
          const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
          await writeFile(tmp, zip);
          await rename(tmp, file);
          return file;
        } catch (e) {
          if (!isBlobMissing(e)) deps.onWarn?.('could not read a shared code package; building it here', { manifestId: id, err: e });
        }
      }
      const entries = await loadEntries();
      // One batched presence check names every missing file before any work is done.
      const absent = await blobs.missing(entries.map((e) => e.sha256));
      if (absent.length > 0) {
        throw new HangarError('SOURCE_BLOBS_MISSING', `The contents of ${absent[0]} (in manifest ${id}) were never uploaded; run the deploy again so the CLI uploads them.`, {
          details: { manifestId: id, missing: absent.slice(0, 20), count: absent.length },
        });
      }
      await mkdir(deps.packagesDir, { recursive: true });
      const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        // Compressed in a worker thread, written straight to the temp file: the API stays responsive.
        await packager.build(entries, prefetching(blobs, entries), tmp, lastBuilt.get(lineage));
        await rename(tmp, file);
        lastBuilt.set(lineage, { file, entries });
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw e;
      }
      if (shared) {
        await shared.put(id, createReadStream(file)).catch((e: unknown) => deps.onWarn?.('could not share a built code package; other engines will build it themselves', { manifestId: id, err: e }));
      }
      return file;
    })();
    building.set(id, p);
    const clear = () => building.delete(id);
    p.then(clear, clear);
    return p;
  }

  /** The built package's bytes, for callers that need them whole. */
  // The Buffer's own memory, not a copy (copying a 34 MB package stopped the event loop ~150-250 ms).
  const bytesOf = async (file: string): Promise<Uint8Array> => {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };

  /** The built package as a file: its size now, and a new read stream of it per call. */
  const fileOf = async (file: string): Promise<PackageFile> => {
    const { size } = await stat(file);
    return { size, stream: () => createReadStream(file) };
  };

  /** The whole manifest's package (not split), built once. */
  function buildWhole(id: string): Promise<string> {
    if (!sha256Pattern.test(id)) return Promise.reject(new HangarError('SOURCE_MANIFEST_UNKNOWN', `Not a manifest id: ${JSON.stringify(id.slice(0, 80))}.`));
    return buildCached(id, 'whole', async () => {
      // The id is the content's hash, so any org's copy of the manifest describes the same files;
      // callers have already checked (requireComplete) that the deploying org holds it and its blobs.
      const row = await db.selectFrom('manifests').select('entries').where('id', '=', id).executeTakeFirst();
      if (!row) throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `Manifest ${id} is unknown to this engine.`, { details: { manifestId: id } });
      return decodeEntries(row.entries);
    });
  }

  /** The error putBlob refuses `sha256` with, given its org_blobs row (undefined: none), or undefined to keep it. */
  function refusal(row: { size: number | string | bigint; stored: number } | undefined, sha256: string, bytes: Uint8Array): HangarError | undefined {
    if (!sha256Pattern.test(sha256)) return new HangarError('VALIDATION_FAILED', `params.sha256: expected 64 lowercase hex characters, got ${JSON.stringify(sha256.slice(0, 80))}`);
    if (!row) {
      return new HangarError('SOURCE_BLOB_NOT_DECLARED', `No manifest of this organisation lists a file with sha256 ${sha256}; post the manifest (POST /sources) first, then upload what its "missing" list names.`, {
        details: { sha256 },
      });
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    const declared = Number(row.size);
    if (actual !== sha256 || bytes.length !== declared) {
      return new HangarError('SOURCE_BLOB_HASH_MISMATCH', `The upload for ${sha256} is ${bytes.length} bytes with sha256 ${actual}; the manifest declared ${declared} bytes with sha256 ${sha256}. Nothing was kept.`, {
        details: { sha256, actualSha256: actual, size: bytes.length, declaredSize: declared },
      });
    }
    return undefined;
  }

  async function putBlobs(orgId: string, uploads: readonly BlobUpload[]): Promise<BlobOutcome[]> {
    const outcomes: BlobOutcome[] = [];
    const slice = timeSlice();
    for (const part of chunk(uploads, SQL_SLICE)) {
      const hashes = [...new Set(part.map((u) => u.sha256).filter((h) => sha256Pattern.test(h)))];
      const rows = new Map<string, { size: number | string | bigint; stored: number }>();
      if (hashes.length > 0) {
        for (const r of await db.selectFrom('org_blobs').select(['sha256', 'size', 'stored']).where('org_id', '=', orgId).where('sha256', 'in', hashes).execute()) rows.set(r.sha256, r);
      }
      // Verified blobs, each hash once (a retry may send one twice; a bad copy does not spoil a good one).
      const good = new Map<string, Uint8Array>();
      // Checked (sha256 of each) and queued for compression in time slices: a group of 500 in one go
      // kept the loop for 100-200 ms during a first upload (cpu profile), and 100 at a time still
      // 40 ms on a loaded machine; the API's other requests waited behind it.
      for (const u of part) {
        if (slice.due()) await slice.next();
        const refused = refusal(rows.get(u.sha256), u.sha256, u.bytes);
        outcomes.push(refused ? { sha256: u.sha256, refused } : { sha256: u.sha256 });
        if (!refused) good.set(u.sha256, u.bytes);
      }
      // Blobs this org's rows already say stored (a retry) are not written again; the rest go to the
      // store as one group, and the store skips any it holds (another org's). No existence check on
      // the event loop: it was 11% of the main thread's time during a first upload (cpu profile).
      const unmarked = [...good.keys()].filter((h) => rows.get(h)!.stored !== 1);
      await blobs.putMany(unmarked.map((sha256) => ({ sha256, bytes: good.get(sha256)! })));
      if (unmarked.length > 0) await db.updateTable('org_blobs').set({ stored: 1 }).where('org_id', '=', orgId).where('sha256', 'in', unmarked).execute();
      for (const [sha256, bytes] of good) {
        if (slice.due()) await slice.next();
        compressOnArrival(orgId, sha256, bytes);
      }
    }
    return outcomes;
  }

  /** Compress on arrival, in the background (worker threads): the package build then only copies. */
  function compressOnArrival(orgId: string, sha256: string, bytes: Uint8Array): void {
    const paths = hints.get(`${orgId}:${sha256}`);
    if (!paths) return;
    hints.delete(`${orgId}:${sha256}`);
    for (const path of paths) packager.precompress({ sha256, size: bytes.length, path }, bytes, (h) => blobs.get(h));
  }

  return {
    async upload(orgId, request) {
      if (request.kind === 'full') {
        checkEntryCount(request.entries.length, limits.maxManifestEntries, 'The manifest has');
        const entries = await checkEntriesInBatches(request.entries, limits);
        const totals = checkTotals(entries, limits);
        await yieldToLoop();
        const id = manifestId(entries);
        await yieldToLoop();
        const missing = await missingFor(orgId, entries.map((e) => e.sha256));
        await declare(orgId, entries, missing);
        await save(orgId, id, entries, totals, missing.length === 0);
        await hint(orgId, entries, missing);
        remember(orgId, id, { entries: new Map(entries.map((e) => [e.path, e] as const)), bytes: totals.bytes });
        rememberPending(orgId, id, missing);
        return { manifestId: id, missing, ...totals };
      }
      checkEntryCount(request.put.length, limits.maxManifestEntries, 'The delta puts');
      const put = await checkEntriesInBatches(request.put, limits);
      checkDeletes(request.delete);
      if (put.length === 0 && request.delete.length === 0 && request.manifestId === request.base) {
        // Nothing changed (a no-op redeploy): answer from the stored totals without reading the entries.
        const held = await db.selectFrom('manifests').select(['files', 'bytes', 'complete']).where('org_id', '=', orgId).where('id', '=', request.base).executeTakeFirst();
        if (held && held.complete === 1) return { manifestId: request.base, missing: [], files: Number(held.files), bytes: Number(held.bytes) };
      }
      const cached = recent.get(`${orgId}:${request.base}`);
      let held: Held | undefined;
      let baseComplete = false;
      if (cached) {
        const row = await db.selectFrom('manifests').select('complete').where('org_id', '=', orgId).where('id', '=', request.base).executeTakeFirst();
        if (row) [held, baseComplete] = [cached, row.complete === 1];
      } else {
        const row = await loadManifest(orgId, request.base);
        if (row) [held, baseComplete] = [{ entries: new Map(decodeEntries(row.entries).map((e) => [e.path, e] as const)), bytes: Number(row.bytes) }, row.complete === 1];
      }
      const base = held?.entries;
      if (!held || !base) {
        throw new HangarError('SOURCE_BASE_UNKNOWN', `The engine holds no manifest ${request.base} for this organisation; send the whole manifest (kind "full").`, { details: { base: request.base } });
      }
      const absent = request.delete.find((p) => !base.has(p));
      if (absent !== undefined) {
        throw new HangarError('SOURCE_MANIFEST_MISMATCH', `The delta deletes ${JSON.stringify(absent)}, which base manifest ${request.base} does not list; send the whole manifest (kind "full").`, { details: { path: absent } });
      }
      const next = applyDelta(base, put, request.delete);
      checkEntryCount(next.size, limits.maxManifestEntries, 'The manifest this delta gives has');
      // What changed checked against the base (checked when it was stored); anything doubtful, or
      // over a limit, takes the whole manifest's check, which decides and words the error.
      const quick = deltaTotals(held, put, request.delete, next, limits);
      const totals = quick?.totals ?? checkTotals(next.values(), limits);
      const id = manifestId(next.values());
      if (id !== request.manifestId) {
        throw new HangarError('SOURCE_MANIFEST_MISMATCH', `Base ${request.base} with this delta gives manifest ${id}, not ${request.manifestId} as the client computed; send the whole manifest (kind "full").`, {
          details: { expected: request.manifestId, actual: id },
        });
      }
      const candidates = baseComplete ? put.map((e) => e.sha256) : [...next.values()].map((e) => e.sha256);
      const missing = await missingFor(orgId, candidates);
      await declare(orgId, quick?.shape.sizeOf ?? next.values(), missing);
      await save(orgId, id, next.values(), totals, missing.length === 0);
      // On a complete base only what the delta puts can be missing: its entries are all the paths to hint.
      await hint(orgId, baseComplete ? put : next.values(), missing);
      remember(orgId, id, { entries: next, bytes: totals.bytes, ...(quick ? { shape: quick.shape } : {}) });
      rememberPending(orgId, id, missing);
      return { manifestId: id, missing, ...totals };
    },

    async putBlob(orgId, sha256, bytes) {
      const [outcome] = await putBlobs(orgId, [{ sha256, bytes }]);
      if (outcome?.refused) throw outcome.refused;
      return { stored: true };
    },

    putBlobs,

    async paths(orgId, id) {
      const cached = recent.get(`${orgId}:${id}`);
      if (cached && (await db.selectFrom('manifests').select('id').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst())) {
        // Sorted as the stored form is (encodeEntries), so callers see the same order either way.
        return [...cached.entries.keys()].sort();
      }
      const row = await loadManifest(orgId, id);
      if (!row) throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `This organisation never uploaded manifest ${id}; post it to /sources first and deploy with the manifestId it returns.`, { details: { manifestId: id } });
      return decodeEntries(row.entries).map((e) => e.path);
    },

    async requireComplete(orgId, id) {
      // The totals first: a complete manifest (the usual case) needs none of its entries.
      const row = await db.selectFrom('manifests').select(['files', 'bytes', 'complete']).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!row) {
        throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `This organisation never uploaded manifest ${id}; post it to /sources first and deploy with the manifestId it returns.`, { details: { manifestId: id } });
      }
      const totals = { files: Number(row.files), bytes: Number(row.bytes) };
      if (row.complete === 1) return totals;
      // Uploaded to this engine: only what the upload answered missing can be; otherwise every hash is checked.
      let hashes: readonly string[] | undefined = pendingBlobs.get(`${orgId}:${id}`);
      if (!hashes) {
        const full = await loadManifest(orgId, id);
        if (!full) throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `This organisation never uploaded manifest ${id}; post it to /sources first and deploy with the manifestId it returns.`, { details: { manifestId: id } });
        hashes = decodeEntries(full.entries).map((e) => e.sha256);
      }
      const missing = await missingFor(orgId, hashes);
      if (missing.length > 0) {
        throw new HangarError('SOURCE_BLOBS_MISSING', `${missing.length} file(s) of manifest ${id} were never uploaded (first: ${missing[0]}); upload them (POST /blobs in batches, or PUT /blobs/:sha256 one at a time), then deploy again.`, {
          details: { manifestId: id, missing: missing.slice(0, 20), count: missing.length },
        });
      }
      await db.updateTable('manifests').set({ complete: 1 }).where('org_id', '=', orgId).where('id', '=', id).execute();
      pendingBlobs.delete(`${orgId}:${id}`);
      return totals;
    },

    assembleZip(id) {
      return buildWhole(id).then(bytesOf);
    },

    assembleFile(id) {
      return buildWhole(id).then(fileOf);
    },

    async assembleLayered(id) {
      if (!sha256Pattern.test(id)) throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `Not a manifest id: ${JSON.stringify(id.slice(0, 80))}.`);
      let entries: readonly ManifestEntry[];
      const held = recentById(id);
      if (held) entries = [...held.entries.values()];
      else {
        const row = await db.selectFrom('manifests').select('entries').where('id', '=', id).executeTakeFirst();
        if (!row) throw new HangarError('SOURCE_MANIFEST_UNKNOWN', `Manifest ${id} is unknown to this engine.`, { details: { manifestId: id } });
        entries = decodeEntries(row.entries);
      }
      const { code, deps } = splitDependencies(entries);
      // A code-only change leaves node_modules as it was: its id is not hashed again.
      const depsId = lastSplit && sameEntries(lastSplit.deps, deps) ? lastSplit.depsId : manifestId(deps);
      lastSplit = { deps, depsId };
      const part = (entries: ManifestEntry[], lineage: Lineage): PackagePart => {
        const partId = lineage === 'deps' ? depsId : manifestId(entries);
        const build = () => buildCached(partId, lineage, () => Promise.resolve(entries));
        return { id: partId, unzippedBytes: entries.reduce((n, e) => n + e.size, 0), zip: () => build().then(bytesOf), file: () => build().then(fileOf) };
      };
      return { code: part(code, 'code'), ...(deps.length ? { deps: part(deps, 'deps') } : {}) };
    },

    idle: () => packager.idle(),

    async close() {
      hints.clear();
      await packager.close();
    },
  };
}

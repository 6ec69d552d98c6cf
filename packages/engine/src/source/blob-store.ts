import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Worker } from 'node:worker_threads';
import { isShared } from '../shared-bytes.js';
import { startModuleWorker } from '../worker-thread.js';
import type { FromWriter, ToWriter } from './blob-writer-worker.js';
import { openSmallBlobs, SMALL_BLOBS_FILE, SMALL_BLOB_BYTES, type SmallBlobs } from './small-blobs.js';

/**
 * Content-addressed storage for uploaded files, keyed by lowercase hex sha256. It knows nothing of
 * orgs: which org may read which blob is the source cache's business (org_blobs), so a blob shared
 * by two orgs is stored once. Callers verify the hash before `put`.
 *
 * Two implementations: the filesystem (below; the embedded default) and S3 (`s3-blob-store.ts`,
 * HANGAR_BLOB_URL=s3://bucket/prefix) for several engines sharing one store.
 */
export interface BlobStore {
  has(sha256: string): Promise<boolean>;
  /**
   * Of `hashes`, those the store does not hold (each once, in the order given). One call for a
   * whole manifest: the store checks in bounded parallel batches instead of one round trip at a time.
   */
  missing(hashes: readonly string[]): Promise<string[]>;
  /**
   * Atomic: a reader never sees a half-written blob. Putting an existing blob is a no-op. A stream
   * is copied through without being held in memory whole (a large file goes up in parts to S3).
   */
  put(sha256: string, body: Uint8Array | Readable): Promise<void>;
  /**
   * Stores many blobs, each as `put` would (atomic; an existing blob is left as it is), and resolves
   * once all are stored. Rejects if any could not be (the others may be stored).
   */
  putMany(blobs: readonly BlobBytes[]): Promise<void>;
  /** Throws BlobMissingError when absent. */
  get(sha256: string): Promise<Uint8Array>;
  /** The blob's bytes as a stream; the stream errors with BlobMissingError when absent. */
  stream(sha256: string): Readable;
  /** Removes the blob (garbage collection, see source/gc.ts); removing an absent blob is a no-op. */
  delete(sha256: string): Promise<void>;
  /** Gives the space of deleted blobs back to the filesystem where the store keeps it (after garbage collection); optional. */
  compact?(): Promise<void>;
}

export interface BlobBytes {
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/** A blob asked for is not in the store (never uploaded, or removed behind the engine's back). */
export class BlobMissingError extends Error {
  readonly code = 'BLOB_MISSING';
  constructor(readonly sha256: string, where: string) {
    super(`blob ${sha256} is not in the blob store (${where})`);
    this.name = 'BlobMissingError';
  }
}

export const isBlobMissing = (e: unknown): e is BlobMissingError => e instanceof BlobMissingError;

const shaPattern = /^[0-9a-f]{64}$/;

export function checkSha(sha: string): string {
  if (!shaPattern.test(sha)) throw new Error(`not a sha256: ${JSON.stringify(sha)}`);
  return sha;
}

/** Run `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export async function missingOf(store: Pick<BlobStore, 'has'>, hashes: readonly string[], parallel: number): Promise<string[]> {
  const unique = [...new Set(hashes)];
  const held = await mapBounded(unique, parallel, (h) => store.has(h));
  return unique.filter((_, i) => !held[i]);
}

/** Hashes the filesystem store checks between two turns of the event loop (`missing`). */
export const MISSING_SLICE = 256;

/** Groups of fewer blobs than this are written on the main thread (`put`), larger ones by the writer thread. */
export const WRITER_MIN_BLOBS = 8;

export interface FsBlobStoreOptions {
  /** The writer thread stops after this long with nothing to write (started again on demand); default 5 s. */
  readonly writerIdleMs?: number;
}

/**
 * Blobs in the folder `root`: those up to SMALL_BLOB_BYTES as rows of `root/small-blobs.sqlite`
 * (small-blobs.ts), larger ones (and any stored as files by an earlier version) as files under
 * `root/ab/cd/<sha256>`, written to a temp file in the same folder, then renamed. `putMany` hands
 * groups to a writer thread (blob-writer-worker.ts) that stores them with synchronous calls, one
 * transaction for a group's small blobs: through fs.promises a blob cost four thread-pool hops and
 * their callbacks on the event loop (~0.9 s of the main thread for the small bench app's 4,621
 * blobs), and synchronous calls on the main thread blocked the API for up to a second under
 * write-back (both measured).
 */
export function createFsBlobStore(root: string, options: FsBlobStoreOptions = {}): BlobStore {
  const pathOf = (sha: string): string => join(root, checkSha(sha).slice(0, 2), sha.slice(2, 4), sha);
  const missingError = (sha: string, e: unknown): unknown =>
    (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? new BlobMissingError(sha, pathOf(sha)) : e;
  // Folders made (or found) by this store: a put makes its folder once, not once per blob. A
  // folder removed behind the store's back is made again when a write finds it gone.
  const dirs = new Set<string>();
  const hasFile = (sha: string): boolean => {
    try {
      return statSync(pathOf(sha), { throwIfNoEntry: false })?.isFile() ?? false;
    } catch {
      return false;
    }
  };
  // The small-blob file, opened on first use; a read before anything was written finds none.
  const smallFile = join(root, SMALL_BLOBS_FILE);
  let small: SmallBlobs | undefined;
  const smallBlobs = (create: boolean): SmallBlobs | undefined => {
    if (small || (!create && !existsSync(smallFile))) return small;
    mkdirSync(root, { recursive: true });
    small = openSmallBlobs(smallFile);
    return small;
  };
  const hasSync = (sha: string): boolean => shaPattern.test(sha) && ((smallBlobs(false)?.has(sha) ?? false) || hasFile(sha));
  // Temp names: a random part drawn once per store and a counter (randomBytes per blob cost the
  // event loop 30-90 ms per 4,600 blobs, measured). Another process writing into the same folder
  // has its own random part; a clash would still fail (flag 'wx'), never mix two writes.
  const tmpPrefix = randomBytes(6).toString('hex');
  let tmpCount = 0;
  const write = async (tmp: string, dir: string, body: Uint8Array | Readable): Promise<void> => {
    if (body instanceof Uint8Array) await writeFile(tmp, body, { flag: 'wx' });
    else await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
    dirs.add(dir);
  };
  const writer = createWriter(root, options.writerIdleMs ?? 5000);
  const store: BlobStore = {
    // A synchronous stat: one call of a few µs, where the promise API's costs a thread-pool hop and,
    // for a blob not there (every blob of a first upload), a rejected Error (fs.promises.stat was
    // 151 ms of the event loop for the small app's 4,621 new blobs, in a cpu profile).
    async has(sha) {
      return hasSync(sha);
    },
    // In slices, giving other requests their turn between them: one query for the slice's rows,
    // then a stat for each hash not among them (12,000 hashes are ~50 ms of stats).
    async missing(hashes) {
      const out: string[] = [];
      const unique = [...new Set(hashes)];
      for (let i = 0; i < unique.length; i += MISSING_SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        const slice = unique.slice(i, i + MISSING_SLICE);
        const rows = smallBlobs(false)?.heldAmong(slice);
        for (const h of slice) if (!rows?.has(h) && !hasFile(h)) out.push(h);
      }
      return out;
    },
    async put(sha, body) {
      const target = pathOf(sha);
      if (body instanceof Uint8Array && body.byteLength <= SMALL_BLOB_BYTES) {
        smallBlobs(true)!.putAll([{ sha256: sha, bytes: body }]);
        return;
      }
      const dir = dirname(target);
      if (!dirs.has(dir)) await mkdir(dir, { recursive: true });
      const tmp = `${target}.${tmpPrefix}${(tmpCount++).toString(36)}.tmp`;
      try {
        try {
          await write(tmp, dir, body);
        } catch (e) {
          // The folder was known but is gone (removed by hand): make it and write once more (bytes only; a stream is spent).
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !dirs.delete(dir) || !(body instanceof Uint8Array)) throw e;
          await mkdir(dir, { recursive: true });
          await write(tmp, dir, body);
        }
        await rename(tmp, target);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw e;
      }
    },
    async putMany(blobs) {
      for (const b of blobs) checkSha(b.sha256);
      if (blobs.length < WRITER_MIN_BLOBS) {
        await mapBounded(blobs.filter((b) => !hasSync(b.sha256)), 8, (b) => store.put(b.sha256, b.bytes));
        return;
      }
      await writer.write(blobs);
    },
    async get(sha) {
      const row = smallBlobs(false)?.get(checkSha(sha));
      if (row) return new Uint8Array(row.buffer, row.byteOffset, row.byteLength);
      try {
        return new Uint8Array(await readFile(pathOf(sha)));
      } catch (e) {
        throw missingError(sha, e);
      }
    },
    async delete(sha) {
      smallBlobs(false)?.delete(checkSha(sha));
      await unlink(pathOf(sha)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    },
    async compact() {
      const db = smallBlobs(false);
      if (!db) return;
      // 256 pages (1 MiB) at a time, with a turn of the event loop between: a large collection
      // frees thousands of pages, and moving them is the event loop's work.
      // Stops when a call frees nothing (never expected: a failure throws), so it cannot spin.
      for (let left = db.reclaim(256), before = Infinity; left > 0 && left < before; before = left, left = db.reclaim(256)) {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },
    stream(sha) {
      const row = smallBlobs(false)?.get(checkSha(sha));
      if (row) return Readable.from([row], { objectMode: false });
      const s = createReadStream(pathOf(sha));
      // "Not there" surfaces as the store's own error, the same as S3's.
      const out = new PassThrough();
      s.on('error', (e) => out.destroy(missingError(sha, e) as Error));
      out.on('close', () => s.destroy());
      s.pipe(out);
      return out;
    },
  };
  return store;
}

/**
 * The writer thread of one filesystem store: started on the first group, stopped after `idleMs`
 * with nothing to write, and never keeping the process alive while idle. Blobs in shared memory (the
 * upload route's) are read by the thread where they are; others are copied into one buffer that is
 * moved to the thread (the callers keep theirs, e.g. for compression on arrival).
 */
function createWriter(root: string, idleMs: number): { write(blobs: readonly BlobBytes[]): Promise<void> } {
  let worker: Worker | undefined;
  let nextId = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const failAll = (e: Error): void => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const started = (): Worker => {
    if (worker) return worker;
    const w = startModuleWorker(import.meta.url, 'blob-writer-worker');
    w.on('message', (m: FromWriter) => {
      const job = waiting.get(m.id);
      waiting.delete(m.id);
      if (waiting.size === 0) {
        w.unref();
        idleTimer = setTimeout(() => {
          if (worker === w && waiting.size === 0) {
            worker = undefined;
            void w.terminate();
          }
        }, idleMs).unref();
      }
      if (!job) return;
      const [first] = m.failed;
      if (!first) return job.resolve();
      const e = Object.assign(new Error(`${m.failed.length} blob(s) could not be stored in ${root}: ${first.sha256}: ${first.message}`), first.code ? { code: first.code } : {});
      job.reject(e);
    });
    w.on('error', (e) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the blob writer thread failed: ${e.message}`));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the blob writer thread stopped (exit code ${code})`));
    });
    worker = w;
    return w;
  };
  return {
    write(blobs) {
      clearTimeout(idleTimer);
      let message: ToWriter;
      let transfer: ArrayBuffer[] = [];
      if (blobs.every((b) => isShared(b.bytes))) {
        // The upload route's blobs: the thread reads the same memory.
        message = { id: nextId++, root, blobs: blobs.map((b) => ({ sha256: b.sha256, bytes: b.bytes })) };
      } else {
        // Copied into one buffer that moves to the thread (the callers keep theirs).
        let total = 0;
        for (const b of blobs) total += b.bytes.byteLength;
        const data = new ArrayBuffer(total);
        const placed: { sha256: string; bytes: Uint8Array }[] = [];
        let offset = 0;
        for (const b of blobs) {
          const view = new Uint8Array(data, offset, b.bytes.byteLength);
          view.set(b.bytes);
          placed.push({ sha256: b.sha256, bytes: view });
          offset += b.bytes.byteLength;
        }
        message = { id: nextId++, root, blobs: placed };
        transfer = [data];
      }
      const w = started();
      const id = message.id;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.ref();
        w.postMessage(message, transfer);
      });
    },
  };
}

/** The hashes a filesystem blob store at `root` holds, rows and files (tests and tools: reads everything). */
export function listFsBlobs(root: string): string[] {
  const out: string[] = [];
  const file = join(root, SMALL_BLOBS_FILE);
  if (existsSync(file)) {
    const small = openSmallBlobs(file);
    try {
      out.push(...small.list());
    } finally {
      small.close();
    }
  }
  if (!existsSync(root)) return out;
  for (const a of readdirSync(root, { withFileTypes: true })) {
    if (!a.isDirectory()) continue;
    for (const b of readdirSync(join(root, a.name), { withFileTypes: true })) {
      if (!b.isDirectory()) continue;
      for (const name of readdirSync(join(root, a.name, b.name))) if (shaPattern.test(name)) out.push(name);
    }
  }
  return out;
}

import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

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
  /** Throws BlobMissingError when absent. */
  get(sha256: string): Promise<Uint8Array>;
  /** The blob's bytes as a stream; the stream errors with BlobMissingError when absent. */
  stream(sha256: string): Readable;
  /** Removes the blob (garbage collection, see source/gc.ts); removing an absent blob is a no-op. */
  delete(sha256: string): Promise<void>;
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

/** Blobs as files under `root/ab/cd/<sha256>`; writes go to a temp file in the same folder, then rename. */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (sha: string): string => join(root, checkSha(sha).slice(0, 2), sha.slice(2, 4), sha);
  const missingError = (sha: string, e: unknown): unknown =>
    (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? new BlobMissingError(sha, pathOf(sha)) : e;
  // Folders made (or found) by this store: a put makes its folder once, not once per blob. A
  // folder removed behind the store's back is made again when a write finds it gone.
  const dirs = new Set<string>();
  const hasSync = (sha: string): boolean => {
    try {
      return statSync(pathOf(sha), { throwIfNoEntry: false })?.isFile() ?? false;
    } catch {
      return false;
    }
  };
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
  const store: BlobStore = {
    // A synchronous stat: one call of a few µs, where the promise API's costs a thread-pool hop and,
    // for a blob not there (every blob of a first upload), a rejected Error (fs.promises.stat was
    // 151 ms of the event loop for the small app's 4,621 new blobs, in a cpu profile).
    async has(sha) {
      return hasSync(sha);
    },
    // In slices, giving other requests their turn between them (12,000 hashes are ~50 ms of stats).
    async missing(hashes) {
      const out: string[] = [];
      const unique = [...new Set(hashes)];
      for (let i = 0; i < unique.length; i += MISSING_SLICE) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        for (const h of unique.slice(i, i + MISSING_SLICE)) if (!hasSync(h)) out.push(h);
      }
      return out;
    },
    async put(sha, body) {
      const target = pathOf(sha);
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
    async get(sha) {
      try {
        return new Uint8Array(await readFile(pathOf(sha)));
      } catch (e) {
        throw missingError(sha, e);
      }
    },
    async delete(sha) {
      await unlink(pathOf(sha)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    },
    stream(sha) {
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

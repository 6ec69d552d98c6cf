import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ManifestEntry } from '@hangar/core';
import { mapBounded } from './blob-store.js';
import { compressEntry, createZipAssembler, deflateSettings, methodFor, readOwnZip, sortEntries, type CompressedEntry } from './zip.js';
import type { FromWorker, ToWorker } from './zip-worker.js';

/**
 * The packaging worker. From dist it is zip-worker.js next to this file. From the sources (tests
 * run through tsx) Node 20 does not carry tsx's loader into worker threads, so the worker first
 * registers it, then imports zip-worker.ts.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./zip-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./zip-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`, { eval: true });
}

export interface Packager {
  /**
   * Writes the deterministic zip of `entries` (same bytes as `buildZip`) to the file `out`.
   * Incremental: each blob is compressed once per compression setting (in a worker thread, so the
   * event loop stays free for the API) and its entry data (CRC-32, sizes, deflate bytes) kept in
   * the entry cache; a package is then the cached entries copied behind fresh local headers plus a
   * new central directory. After a one-file change only that file is compressed. Memory stays
   * bounded by the in-flight window plus one large file. Resolves with the zip's size in bytes.
   */
  build(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string, basis?: PackageBasis): Promise<number>;
}

/**
 * A package built before (by this writer) and the manifest it was built from: entries of the new
 * package whose content it holds are copied out of it in one read, instead of one entry-cache file
 * each. After a one-file change that is most of them. Not usable (missing, another writer's): ignored.
 */
export interface PackageBasis {
  readonly file: string;
  readonly entries: readonly ManifestEntry[];
}

export interface PackagerOptions {
  /** Where compressed entries are kept: `<entriesDir>/<ab>/<sha256>.<settings>`. */
  readonly entriesDir: string;
  /** At most this many packages are built at once; the others wait their turn. Default 2. */
  readonly concurrency?: number;
  /** Bytes of blobs handed to the worker and not compressed yet; default 16 MB. */
  readonly maxInFlightBytes?: number;
  /**
   * Work this small (bytes to compress in one build) is done on the calling thread, a file at a
   * time with the event loop let through between files: deflating a few hundred KB takes a few
   * milliseconds, starting a worker thread far longer (a one-file change). Default 256 KB; 0
   * always uses the worker.
   */
  readonly inlineBytes?: number;
  /** Called once per file actually compressed (tests count them; a cached entry is not). */
  readonly onCompress?: (sha256: string, path: string) => void;
}

export const entryPath = (entriesDir: string, key: string): string => join(entriesDir, key.slice(0, 2), key);

// Cached entry file: [method u8, 3 zero bytes, crc u32 LE, size u32 LE] then the entry's data.
const HEADER = 12;
function encodeEntry(e: CompressedEntry): Uint8Array {
  const out = new Uint8Array(HEADER + e.data.length);
  const v = new DataView(out.buffer);
  v.setUint8(0, e.method);
  v.setUint32(4, e.crc, true);
  v.setUint32(8, e.size, true);
  out.set(e.data, HEADER);
  return out;
}
function decodeEntry(bytes: Uint8Array, where: string): CompressedEntry {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const method = bytes.length >= HEADER ? v.getUint8(0) : -1;
  if (method !== 0 && method !== 8) throw new Error(`the cached zip entry ${where} is damaged; delete it and deploy again`);
  return { method, crc: v.getUint32(4, true), size: v.getUint32(8, true), data: bytes.subarray(HEADER) };
}

async function writeAtomic(file: string, bytes: Uint8Array, dirs?: Set<string>): Promise<void> {
  const dir = dirname(file);
  if (!dirs?.has(dir)) {
    await mkdir(dir, { recursive: true });
    dirs?.add(dir);
  }
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

export function createPackager(options: PackagerOptions): Packager {
  const { entriesDir } = options;
  const settings = deflateSettings();
  /** The cache key of a blob's entry: its hash and how it is compressed (zlib's version and output fingerprint). */
  const keyOf = (e: ManifestEntry): string => `${e.sha256}.${methodFor(e.path) === 'store' ? 'store' : settings}`;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxInFlight = options.maxInFlightBytes ?? 16 * 1024 * 1024;
  const inlineBytes = options.inlineBytes ?? 256 * 1024;
  // Entry-cache folders known to exist: one mkdir per folder, not per file.
  const dirs = new Set<string>();
  // Entry writes in flight: a few, so thousands of small files do not fill libuv's thread pool
  // (4 threads) that the API's own file and crypto work waits on.
  let writesInFlight = 0;
  const writeWaiters: Array<() => void> = [];
  const writeEntry = async (file: string, bytes: Uint8Array): Promise<void> => {
    while (writesInFlight >= 2) await new Promise<void>((r) => writeWaiters.push(r));
    writesInFlight++;
    try {
      await writeAtomic(file, bytes, dirs);
    } finally {
      writesInFlight--;
      writeWaiters.shift()?.();
    }
  };
  let active = 0;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    if (active < concurrency) {
      active++;
      return;
    }
    await new Promise<void>((r) => waiting.push(r));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  /** Compresses (in a worker) every entry not in the cache yet and stores it there. */
  async function compressMissing(todo: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>): Promise<void> {
    if (todo.length === 0) return;
    if (todo.reduce((n, e) => n + e.size, 0) <= inlineBytes) {
      for (const e of todo) {
        const bytes = await read(e.sha256);
        if (bytes.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${bytes.length} bytes, the manifest says ${e.size}`);
        const made = compressEntry(methodFor(e.path), bytes);
        options.onCompress?.(e.sha256, e.path);
        await writeEntry(entryPath(entriesDir, keyOf(e)), encodeEntry(made));
        await new Promise((r) => setImmediate(r));
      }
      return;
    }
    const worker = startWorker();
    let inFlight = 0;
    let credit: (() => void) | undefined;
    let failed: Error | undefined;
    let remaining = todo.length;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => { finish = resolve; });
    const writes: Promise<void>[] = [];
    const stop = (e: Error) => {
      if (!failed) failed = e;
      finish();
      credit?.();
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') return stop(new Error(`packaging failed: ${m.message}`));
      const e = todo[m.id]!;
      inFlight -= e.size;
      credit?.();
      options.onCompress?.(e.sha256, e.path);
      const w = writeEntry(entryPath(entriesDir, keyOf(e)), encodeEntry(m));
      w.catch((err: unknown) => stop(err instanceof Error ? err : new Error(String(err))));
      writes.push(w);
      if (--remaining === 0) finish();
    });
    worker.on('error', (e) => stop(e));
    worker.on('exit', (code) => stop(new Error(`the packaging worker exited (code ${code}) before finishing`)));
    const post = (m: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
    try {
      for (let id = 0; id < todo.length; id++) {
        const e = todo[id]!;
        while (inFlight > 0 && inFlight + e.size > maxInFlight && !failed) await new Promise<void>((r) => { credit = () => { credit = undefined; r(); }; });
        if (failed) throw failed;
        const bytes = await read(e.sha256);
        if (bytes.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${bytes.length} bytes, the manifest says ${e.size}`);
        // Hand the bytes over without a copy when they own their buffer (readFile's do).
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
        const data = own ? bytes : bytes.slice();
        inFlight += e.size;
        post({ type: 'file', id, how: methodFor(e.path), data }, [data.buffer as ArrayBuffer]);
      }
      await done;
      await Promise.all(writes);
      if (failed) throw failed;
    } finally {
      worker.removeAllListeners('exit');
      await worker.terminate().catch(() => {});
    }
  }

  async function buildOne(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string, basis?: PackageBasis): Promise<number> {
    const sorted = sortEntries(entries);
    const fromBasis = new Map<string, CompressedEntry>();
    if (basis) {
      const zip = await readFile(basis.file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => undefined);
      const byPath = zip && readOwnZip(zip);
      if (byPath) {
        for (const b of basis.entries) {
          const e = byPath.get(b.path);
          if (e && e.size === b.size) fromBasis.set(keyOf(b), e);
        }
      }
    }
    // One entry per distinct key: two paths with the same content and method share it.
    const distinct = new Map<string, ManifestEntry>();
    for (const e of sorted) if (!distinct.has(keyOf(e)) && !fromBasis.has(keyOf(e))) distinct.set(keyOf(e), e);
    const all = [...distinct.entries()];
    const cached = await mapBounded(all, 4, async ([key]) => stat(entryPath(entriesDir, key)).then((s) => s.isFile(), () => false));
    await compressMissing(all.filter((_, i) => !cached[i]).map(([, e]) => e), read);

    // Assemble: cached entries copied behind fresh headers, buffered into ~1 MB writes.
    const file = await open(out, 'w');
    try {
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const zip = createZipAssembler((c) => {
        pending.push(c);
        pendingBytes += c.length;
      });
      const flush = async () => {
        if (pending.length === 0) return;
        const parts = pending;
        pending = [];
        pendingBytes = 0;
        // Small parts (headers, small entries) are gathered into one write; a large entry is
        // written as it is, never copied.
        let small: Uint8Array[] = [];
        const writeSmall = async () => {
          if (small.length === 0) return;
          const bytes = new Uint8Array(small.reduce((n, c) => n + c.length, 0));
          let at = 0;
          for (const c of small) {
            bytes.set(c, at);
            at += c.length;
          }
          small = [];
          await file.write(bytes);
        };
        for (const c of parts) {
          if (c.length < 256 * 1024) {
            small.push(c);
            continue;
          }
          await writeSmall();
          await file.write(c);
        }
        await writeSmall();
      };
      const load = (e: ManifestEntry) => {
        const held = fromBasis.get(keyOf(e));
        if (held) return Promise.resolve(held);
        const where = entryPath(entriesDir, keyOf(e));
        return readFile(where).then((b) => decodeEntry(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), where));
      };
      // Read a few entries ahead while writing: the work is I/O, not CPU.
      const ahead = 16;
      const reads: Array<Promise<CompressedEntry>> = [];
      for (let i = 0; i < Math.min(ahead, sorted.length); i++) reads.push(load(sorted[i]!));
      reads.forEach((p) => p.catch(() => {}));
      for (let i = 0; i < sorted.length; i++) {
        const e = sorted[i]!;
        const entry = await reads[i]!;
        if (entry.size !== e.size) throw new Error(`the cached zip entry for ${e.path} has ${entry.size} bytes, the manifest says ${e.size}`);
        if (i + ahead < sorted.length) {
          const p = load(sorted[i + ahead]!);
          p.catch(() => {});
          reads.push(p);
        }
        reads[i] = undefined as unknown as Promise<CompressedEntry>;
        zip.add(e.path, e.mode, entry);
        if (pendingBytes >= 1024 * 1024) await flush();
      }
      const size = zip.end();
      await flush();
      return size;
    } finally {
      await file.close().catch(() => {});
    }
  }

  return {
    async build(entries, read, out, basis) {
      await acquire();
      try {
        return await buildOne(entries, read, out, basis);
      } finally {
        release();
      }
    },
  };
}

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ManifestEntry } from '@hangar/core';
import { mapBounded } from './blob-store.js';
import { compressEntry, concat, createZipAssembler, decodeEntry, deflateSettings, entryHeader, methodFor, readOwnZip, sortEntries, type CompressedEntry } from './zip.js';
import type { FromWorker, ToWorker } from './zip-worker.js';
import { isShared } from '../shared-bytes.js';
import { timeSlice } from '../time-slice.js';
import { startModuleWorker } from '../worker-thread.js';

export interface Packager {
  /**
   * Writes the deterministic zip of `entries` (same bytes as `buildZip`) to the file `out`.
   * Incremental: each blob is compressed once per compression setting (in a worker thread, so the
   * event loop stays free for the API) and its entry data (CRC-32, sizes, deflate bytes) kept in
   * the entry cache (on disk, and the most recent in memory); a package is then the cached entries
   * copied behind fresh local headers plus a new central directory. After a one-file change only
   * that file is compressed; after `precompress` of every blob, none. An entry being compressed in
   * the background is waited for (and moved ahead of the background queue), never compressed again.
   * Memory stays bounded by the in-flight window plus one large file. Resolves with the zip's size.
   */
  build(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string, basis?: PackageBasis): Promise<number>;
  /**
   * Compresses a blob's entry for `path` (its method follows the extension) in the background, at
   * the lowest priority: queued and returned at once. `bytes` (the blob, just received) is held
   * while the queue's budget allows, else the blob is read back with `read` when its turn comes.
   * A full queue drops the work (the build compresses it then); a failure is only reported to `onWarn`.
   */
  precompress(blob: BlobToCompress, bytes: Uint8Array | undefined, read: (sha256: string) => Promise<Uint8Array>): void;
  /** Resolves once nothing is queued or being compressed (tests; a shutdown may wait for it). */
  idle(): Promise<void>;
  /** Drops the background queue and stops the worker threads; builds in progress fail. */
  close(): Promise<void>;
}

/** A blob and one path it is listed under (the path picks store or deflate). */
export interface BlobToCompress {
  readonly sha256: string;
  readonly size: number;
  readonly path: string;
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
  /**
   * Worker threads compressing for builds; default 2 on a machine of more than 2 cores, else 1: on
   * 2 cores a second worker took the event loop's core (API p99 over its bound while packaging).
   */
  readonly workers?: number;
  /** Of those, the ones background work (`precompress`) may use; default 1, so a build always has one. */
  readonly backgroundWorkers?: number;
  /** Bytes of blobs read or handed to the workers and not compressed yet; default 16 MB. */
  readonly maxInFlightBytes?: number;
  /** Bytes of blobs the background queue holds (beyond that it reads them back when their turn comes); default 32 MB. */
  readonly maxQueuedBytes?: number;
  /** Blobs the background queue holds at most; beyond that `precompress` drops the work. Default 50,000. */
  readonly maxQueued?: number;
  /** Compressed entries kept in memory as well (the most recent), so a build copies them without reading files; default 32 MB. */
  readonly memoryBytes?: number;
  /** Workers idle this long are stopped (started again on demand); default 5 s. */
  readonly idleMs?: number;
  /**
   * Work this small (bytes to compress in one build) is done on the calling thread, a file at a
   * time with the event loop let through between files: deflating a few hundred KB takes a few
   * milliseconds, starting a worker thread far longer (a one-file change). Default 256 KB; 0
   * always uses the workers.
   */
  readonly inlineBytes?: number;
  /**
   * Called once per file actually compressed (tests count them; a cached entry is not), with who
   * asked first: a build, or `precompress` (a blob compressed on arrival).
   */
  readonly onCompress?: (sha256: string, path: string, origin: 'build' | 'background') => void;
  /** Background compression failed (the build compresses that blob itself). */
  readonly onWarn?: (msg: string, fields: Record<string, unknown>) => void;
}

export const entryPath = (entriesDir: string, key: string): string => join(entriesDir, key.slice(0, 2), key);

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

const sizeMismatch = (sha256: string, path: string, actual: number, declared: number): Error =>
  new Error(`blob ${sha256} for ${path} has ${actual} bytes, the manifest says ${declared}`);

/** A first-in first-out queue with O(1) take (Array#shift is O(n) on the 12,000-file queue). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  push(item: T): void { this.items.push(item); }
  /** The first item `keep` accepts; items before it are dropped. */
  take(keep: (item: T) => boolean): T | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined as T;
      if (keep(item)) {
        this.compact();
        return item;
      }
    }
    this.compact();
    return undefined;
  }
  /** The first item `keep` accepts, left in place (items before it are dropped). */
  peek(keep: (item: T) => boolean): T | undefined {
    while (this.head < this.items.length && !keep(this.items[this.head]!)) this.items[this.head++] = undefined as T;
    this.compact();
    return this.items[this.head];
  }
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }
  get size(): number { return this.items.length - this.head; }
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** One blob's entry to make: queued, then read and compressed once, whoever asked for it. */
interface Job {
  readonly key: string;
  readonly blob: BlobToCompress;
  readonly origin: 'build' | 'background';
  /** The blob's bytes, when the background queue holds them. */
  bytes: Uint8Array | undefined;
  readonly read: (sha256: string) => Promise<Uint8Array>;
  /** A build waits for it: taken before any background job. */
  urgent: boolean;
  started: boolean;
  /** Counted against the background's share of the in-flight window. */
  background: boolean;
  /** The entry, once made (kept until it is on disk: whoever waited for the job copies it from here). */
  entry: CompressedEntry | undefined;
  readonly done: Promise<void>;
  resolve(): void;
  reject(e: Error): void;
}

interface Lane {
  readonly worker: Worker;
  readonly index: number;
  readonly pending: Map<number, Job>;
}

export function createPackager(options: PackagerOptions): Packager {
  const { entriesDir } = options;
  const settings = deflateSettings();
  /** The cache key of a blob's entry: its hash and how it is compressed. */
  const keyOf = (e: { sha256: string; path: string }): string => `${e.sha256}.${methodFor(e.path) === 'store' ? 'store' : settings}`;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxWorkers = Math.max(1, options.workers ?? (availableParallelism() > 2 ? 2 : 1));
  const backgroundWorkers = Math.max(1, Math.min(maxWorkers, options.backgroundWorkers ?? 1));
  const maxInFlight = options.maxInFlightBytes ?? 16 * 1024 * 1024;
  const maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
  const maxQueued = options.maxQueued ?? 50_000;
  const memoryBytes = options.memoryBytes ?? 32 * 1024 * 1024;
  const idleMs = options.idleMs ?? 5000;
  const inlineBytes = options.inlineBytes ?? 256 * 1024;
  // Files read or sent to one worker and not answered yet: enough to keep it busy between round trips
  // (each answer needs this thread scheduled, slow on a loaded machine); the bytes window bounds memory.
  const perLane = 256;
  // Fewer for background work: a build's files queue behind those in the same worker.
  const perBackgroundLane = 64;
  // Entry-cache folders known to exist: one mkdir per folder, not per file.
  const dirs = new Set<string>();
  // Entry writes in flight from this thread (inline builds): a few, so they do not fill libuv's pool.
  let writesInFlight = 0;
  const writeWaiters: Array<() => void> = [];
  const writeEntry = async (file: string, e: CompressedEntry): Promise<void> => {
    while (writesInFlight >= 2) await new Promise<void>((r) => writeWaiters.push(r));
    writesInFlight++;
    try {
      await writeAtomic(file, concat([entryHeader(e), e.data]), dirs);
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

  // Recently made entries, in memory (oldest first), within memoryBytes.
  const memory = new Map<string, CompressedEntry>();
  let memoryHeld = 0;
  const remember = (key: string, e: CompressedEntry): void => {
    if (e.data.length > memoryBytes / 4) return;
    memory.delete(key);
    memory.set(key, e);
    memoryHeld += e.data.length;
    while (memoryHeld > memoryBytes) {
      const [oldest, entry] = memory.entries().next().value!;
      memory.delete(oldest);
      memoryHeld -= entry.data.length;
    }
  };

  // Every entry queued or being made, by key: what dedupes a build against the background queue.
  const jobs = new Map<string, Job>();
  const urgentQueue = new Fifo<Job>();
  const backgroundQueue = new Fifo<Job>();
  let queuedHeldBytes = 0;
  let inFlight = 0;
  let inFlightBytes = 0;
  let backgroundInFlight = 0;
  let backgroundInFlightBytes = 0;
  // Entries made and not on disk yet (held by their jobs and by the workers' write queues).
  let unwrittenBytes = 0;
  const maxUnwritten = 2 * maxInFlight;
  const lanes: Lane[] = [];
  let nextMessage = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let idleWaiters: Array<() => void> = [];
  let closed = false;

  const newJob = (key: string, blob: BlobToCompress, origin: Job['origin'], read: Job['read'], bytes?: Uint8Array): Job => {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    done.catch(() => {}); // whoever waits sees it; never an unhandled rejection meanwhile
    const job: Job = { key, blob, origin, bytes, read, urgent: origin === 'build', started: false, background: false, entry: undefined, done, resolve, reject };
    jobs.set(key, job);
    return job;
  };

  /** The entry is on disk (or will never be): from now on the entry cache, not this job, answers for it. */
  const settle = (job: Job): void => {
    if (jobs.get(job.key) === job) jobs.delete(job.key);
    if (job.entry) {
      unwrittenBytes -= job.entry.data.length;
      job.entry = undefined;
    }
  };
  /** Compressed (or failed): the in-flight window is freed and waiters go on; the job stays findable until `settle`. */
  const finish = (job: Job, error?: Error, settled = true): void => {
    if (settled) settle(job);
    inFlight--;
    inFlightBytes -= job.blob.size;
    if (job.background) {
      backgroundInFlight--;
      backgroundInFlightBytes -= job.blob.size;
    }
    if (error) job.reject(error);
    else job.resolve();
    pump();
  };

  const checkIdle = (): void => {
    if (inFlight > 0 || urgentQueue.size > 0 || backgroundQueue.size > 0 || lanes.some((l) => l.pending.size > 0)) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
    if (lanes.length > 0 && !idleTimer) {
      idleTimer = setTimeout(() => {
        idleTimer = undefined;
        if (inFlight === 0) for (const lane of lanes.splice(0)) void stopLane(lane);
      }, idleMs);
      idleTimer.unref();
    }
  };

  const stopLane = async (lane: Lane): Promise<void> => {
    lane.worker.removeAllListeners('exit');
    await lane.worker.terminate().catch(() => {});
  };

  const failLane = (lane: Lane, e: Error): void => {
    const at = lanes.indexOf(lane);
    if (at >= 0) lanes.splice(at, 1);
    void stopLane(lane);
    const pending = [...lane.pending.values()];
    lane.pending.clear();
    for (const job of pending) {
      if (job.entry) settle(job);
      else finish(job, e);
    }
    checkIdle();
  };

  const startLane = (index: number): Lane => {
    const lane: Lane = { worker: startModuleWorker(import.meta.url, 'zip-worker'), index, pending: new Map() };
    lane.worker.on('message', (m: FromWorker) => {
      const job = lane.pending.get(m.id);
      if (!job) return;
      if (m.type === 'entry') {
        // Made: the build may go on; the job stays pending (and findable) until the entry is on disk.
        options.onCompress?.(job.blob.sha256, job.blob.path, job.origin);
        job.entry = { method: m.method, crc: m.crc, size: m.size, data: m.data };
        unwrittenBytes += m.data.length;
        remember(job.key, job.entry);
        return finish(job, undefined, false);
      }
      lane.pending.delete(m.id);
      if (lane.pending.size === 0) lane.worker.unref();
      if (m.type === 'written') {
        settle(job);
        checkIdle();
        return pump();
      }
      if (job.entry) {
        // Made but not written: kept in memory while it fits; a later build may make it again.
        settle(job);
        pump();
        options.onWarn?.('a compressed zip entry could not be written to the entry cache', { sha256: job.blob.sha256, err: m.type === 'error' ? m.message : m.type });
        return checkIdle();
      }
      finish(job, m.type === 'error' ? new Error(`packaging failed: ${m.message}`) : undefined);
    });
    lane.worker.on('error', (e) => failLane(lane, e));
    lane.worker.on('exit', (code) => failLane(lane, new Error(`the packaging worker exited (code ${code}) before finishing`)));
    lane.worker.unref();
    lanes.push(lane);
    return lane;
  };

  /** The least busy worker this job may use, started if none is free. */
  const laneFor = (job: Job): Lane => {
    const allowed = job.urgent ? maxWorkers : backgroundWorkers;
    let best: Lane | undefined;
    for (const lane of lanes) if (lane.index < allowed && (!best || lane.pending.size < best.pending.size)) best = lane;
    if (best && best.pending.size === 0) return best;
    const used = new Set(lanes.map((l) => l.index));
    for (let i = 0; i < allowed; i++) if (!used.has(i)) return startLane(i);
    return best!;
  };

  const startJob = async (job: Job): Promise<void> => {
    job.started = true;
    inFlight++;
    inFlightBytes += job.blob.size;
    if (!job.urgent) {
      job.background = true;
      backgroundInFlight++;
      backgroundInFlightBytes += job.blob.size;
    }
    try {
      let bytes = job.bytes;
      if (bytes) {
        queuedHeldBytes -= bytes.length;
        job.bytes = undefined;
      } else {
        bytes = await job.read(job.blob.sha256);
      }
      if (bytes.length !== job.blob.size) throw sizeMismatch(job.blob.sha256, job.blob.path, bytes.length, job.blob.size);
      if (closed) throw new Error('the packager was closed');
      // Hand the bytes over without a copy: shared memory (an uploaded blob) is read where it is; a
      // buffer of their own (readFile's) moves to the worker; anything else is copied first.
      const sharedBytes = isShared(bytes);
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const data = sharedBytes || own ? bytes : bytes.slice();
      const lane = laneFor(job);
      const id = nextMessage++;
      lane.pending.set(id, job);
      lane.worker.ref();
      const message: ToWorker = { type: 'file', id, how: methodFor(job.blob.path), data, file: entryPath(entriesDir, job.key), skipIfCached: true };
      lane.worker.postMessage(message, sharedBytes ? [] : [data.buffer as ArrayBuffer]);
    } catch (e) {
      finish(job, e instanceof Error ? e : new Error(String(e)));
    }
  };

  /** Starts queued jobs while the window allows: a build's first, background ones only when no build waits. */
  function pump(): void {
    if (closed) return;
    if (idleTimer) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
    }
    // Writes lag behind compression (a worker writes when nothing waits to be compressed): bounded too.
    const room = (bytes: number) => inFlight === 0 || (inFlight < maxWorkers * perLane && inFlightBytes + bytes <= maxInFlight && unwrittenBytes <= maxUnwritten);
    for (;;) {
      const urgent = urgentQueue.peek((j) => !j.started);
      if (urgent) {
        if (!room(urgent.blob.size)) break;
        urgentQueue.take((j) => !j.started);
        void startJob(urgent);
        continue;
      }
      const next = backgroundQueue.peek((j) => !j.started && !j.urgent);
      if (!next) break;
      const bgRoom = backgroundInFlight === 0 || (backgroundInFlight < backgroundWorkers * perBackgroundLane && backgroundInFlightBytes + next.blob.size <= maxInFlight / 2);
      if (!bgRoom || !room(next.blob.size)) break;
      backgroundQueue.take((j) => !j.started && !j.urgent);
      void startJob(next);
    }
    checkIdle();
  }

  /** Moves a queued background job ahead of the background queue: a build needs it. */
  const promote = (job: Job): void => {
    if (job.urgent || job.started) return;
    job.urgent = true;
    urgentQueue.push(job);
  };

  /** Compresses on this thread (a build's small remainder), registered like a job so nobody compresses it twice. */
  const compressInline = async (job: Job): Promise<void> => {
    job.started = true;
    inFlight++;
    inFlightBytes += job.blob.size;
    try {
      const file = entryPath(entriesDir, job.key);
      if (await stat(file).then((s) => s.isFile(), () => false)) return finish(job);
      const bytes = await job.read(job.blob.sha256);
      if (bytes.length !== job.blob.size) throw sizeMismatch(job.blob.sha256, job.blob.path, bytes.length, job.blob.size);
      const made = compressEntry(methodFor(job.blob.path), bytes);
      options.onCompress?.(job.blob.sha256, job.blob.path, job.origin);
      await writeEntry(file, made);
      remember(job.key, made);
      finish(job);
    } catch (e) {
      finish(job, e instanceof Error ? e : new Error(String(e)));
    }
    await job.done;
    await new Promise((r) => setImmediate(r));
  };

  /**
   * Makes sure every entry of `todo` is in the entry cache: those another caller is making are
   * waited for (a background one is moved ahead), the others compressed here or in the workers.
   */
  async function ensureEntries(todo: ReadonlyArray<readonly [string, ManifestEntry]>, read: (sha256: string) => Promise<Uint8Array>, pinned: Map<string, CompressedEntry>): Promise<void> {
    const waits: Array<Promise<void>> = [];
    const mine: Job[] = [];
    const waitFor = async (job: Job, e: ManifestEntry): Promise<void> => {
      promote(job);
      try {
        await job.done;
        if (job.entry) pinned.set(job.key, job.entry);
      } catch (err) {
        if (job.origin === 'build') throw err;
        // The background attempt failed (its read, say): this build makes the entry itself.
        await ensureEntries([[job.key, e]], read, pinned);
      }
    };
    const slice = timeSlice();
    for (const [key, e] of todo) {
      if (slice.due()) await slice.next();
      const made = memory.get(key);
      const held = jobs.get(key);
      if (made) pinned.set(key, made);
      else if (held) waits.push(waitFor(held, e));
      else mine.push(newJob(key, { sha256: e.sha256, size: e.size, path: e.path }, 'build', read));
    }
    if (mine.length > 0 && mine.reduce((n, j) => n + j.blob.size, 0) <= inlineBytes) {
      for (const job of mine) await compressInline(job);
    } else {
      for (const job of mine) urgentQueue.push(job);
      pump();
      waits.push(...mine.map(async (j) => {
        await j.done;
        if (j.entry) pinned.set(j.key, j.entry);
      }));
    }
    await Promise.all(waits);
  }

  async function buildOne(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string, basis?: PackageBasis): Promise<number> {
    // Each pass over the entries gives the event loop a turn every few ms: one over the large bench
    // app's 12,000 files took 10-50 ms, and the build's passes in one go over 100 ms (cpu profile).
    const slice = timeSlice();
    const sorted = sortEntries(entries);
    const keys = new Map<ManifestEntry, string>();
    const keyFor = (e: ManifestEntry): string => {
      let k = keys.get(e);
      if (k === undefined) keys.set(e, (k = keyOf(e)));
      return k;
    };
    const fromBasis = new Map<string, CompressedEntry>();
    if (basis) {
      const zip = await readFile(basis.file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength), () => undefined);
      const byPath = zip && readOwnZip(zip);
      if (byPath) {
        for (const b of basis.entries) {
          if (slice.due()) await slice.next();
          const e = byPath.get(b.path);
          if (e && e.size === b.size) fromBasis.set(keyOf(b), e);
        }
      }
    }
    // One entry per distinct key: two paths with the same content and method share it.
    const distinct = new Map<string, ManifestEntry>();
    for (const e of sorted) {
      if (slice.due()) await slice.next();
      const k = keyFor(e);
      if (!distinct.has(k) && !fromBasis.has(k)) distinct.set(k, e);
    }
    // In memory (kept for this build, whatever is evicted meanwhile) or being made: no need to look on disk.
    const pinned = new Map<string, CompressedEntry>();
    const unknown: Array<[string, ManifestEntry]> = [];
    for (const [key, e] of distinct) {
      if (slice.due()) await slice.next();
      const held = memory.get(key);
      if (held) pinned.set(key, held);
      else if (!jobs.has(key)) unknown.push([key, e]);
    }
    const onDisk = await mapBounded(unknown, 4, async ([key]) => stat(entryPath(entriesDir, key)).then((s) => s.isFile(), () => false));
    const onDiskKeys = new Set(unknown.filter((_, i) => onDisk[i]).map(([key]) => key));
    // Looked up again now, each key checked and (if nobody makes it) registered as a job in the same
    // turn of the loop: a background job may have finished meanwhile (and the workers check the disk
    // once more before compressing anything).
    await ensureEntries([...distinct.entries()].filter(([key]) => !onDiskKeys.has(key) && !pinned.has(key)), read, pinned);

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
        const k = keyFor(e);
        const held = fromBasis.get(k) ?? pinned.get(k) ?? memory.get(k);
        if (held) return Promise.resolve(held);
        const where = entryPath(entriesDir, k);
        return readFile(where).then((b) => decodeEntry(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), where));
      };
      // Read a few entries ahead while writing: the work is I/O, not CPU.
      const ahead = 16;
      const reads: Array<Promise<CompressedEntry>> = [];
      for (let i = 0; i < Math.min(ahead, sorted.length); i++) reads.push(load(sorted[i]!));
      reads.forEach((p) => p.catch(() => {}));
      for (let i = 0; i < sorted.length; i++) {
        if (slice.due()) await slice.next();
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
    precompress(blob, bytes, read) {
      if (closed) return;
      const key = keyOf(blob);
      if (jobs.has(key) || memory.has(key)) return;
      if (backgroundQueue.size >= maxQueued) return;
      const hold = bytes && bytes.length === blob.size && queuedHeldBytes + bytes.length <= maxQueuedBytes;
      // Bytes the queue may hand to a worker: shared ones as they are (nobody writes them again),
      // others copied (the request's buffer may be a pooled slice).
      const job = newJob(key, blob, 'background', read, hold ? (isShared(bytes) ? bytes : bytes.slice()) : undefined);
      if (job.bytes) queuedHeldBytes += job.bytes.length;
      job.done.catch((e: unknown) => options.onWarn?.('compressing an uploaded file in the background failed; the package build compresses it', { sha256: blob.sha256, err: e }));
      backgroundQueue.push(job);
      pump();
    },
    idle() {
      if (inFlight === 0 && urgentQueue.size === 0 && backgroundQueue.size === 0 && lanes.every((l) => l.pending.size === 0)) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
    async close() {
      closed = true;
      if (idleTimer) clearTimeout(idleTimer);
      const error = new Error('the packager was closed');
      for (const job of [...urgentQueue.drain(), ...backgroundQueue.drain()]) {
        if (job.started) continue;
        if (jobs.get(job.key) === job) jobs.delete(job.key);
        job.reject(error);
      }
      for (const lane of lanes.splice(0)) {
        const pending = [...lane.pending.values()];
        lane.pending.clear();
        await stopLane(lane);
        for (const job of pending) {
          if (job.entry) settle(job);
          else finish(job, error);
        }
      }
      queuedHeldBytes = 0;
      for (const w of idleWaiters.splice(0)) w();
    },
  };
}

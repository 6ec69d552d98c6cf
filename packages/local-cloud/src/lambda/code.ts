/**
 * Function code: the uploaded zip checked against AWS's limits, hashed the way AWS hashes it
 * (base64 sha256 of the zip), and unpacked into its own directory. The work (decoding, hashing,
 * inflating, writing) runs in a worker thread for all but small zips, so the cloud's event loop,
 * which `hangar up` shares with the engine's API, stays free: see `createCodeUnpacker`.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { AwsError } from '../internal/contract.js';
import {
  base64Length, inspectZip, MAX_REQUEST_BYTES, removeCodeSync, unpackZip, UnzipFailure, verifyZip,
  type InspectedZip, type ParsedCodeBody, type UnpackResult, type ZipSource,
} from './unzip.js';
import type { FromWorker, ToWorker } from './unzip-worker.js';

export { MAX_REQUEST_BYTES, MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES, type ZipSource } from './unzip.js';

export function tooLarge(operation: string): AwsError {
  return new AwsError('RequestEntityTooLargeException', `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the ${operation} operation`, 413);
}

/** A checked zip, not unpacked yet (`CodeUnpacker.write` does that). */
export interface UnpackedCode {
  readonly zip: Uint8Array;
  readonly sha256: string;
  readonly size: number;
  /** Sum of the unzipped files' sizes (for the 250 MB function + layers limit). */
  readonly unzippedSize: number;
}

/**
 * A direct upload inspected while its request body was parsed (`CodeUnpacker.parseCodeBody`), in
 * place of the `ZipFile` string: `codeFrom` takes it. No JSON value is an instance of it.
 */
export class InspectedUpload {
  constructor(private readonly outcome: { readonly code: UnpackedCode } | { readonly error: AwsError }) {}
  /** The checked zip, or the error the request is answered with when it reaches the code. */
  take(): UnpackedCode {
    if ('error' in this.outcome) throw this.outcome.error;
    return this.outcome.code;
  }
}

/**
 * Checks and unpacks code zips off the event loop: one worker thread, started at the first large
 * zip and kept (not holding the process open while idle), doing one job at a time with
 * synchronous file calls, so neither the event loop nor libuv's thread pool (which the API's own
 * file and crypto work waits on) carries the unpacking of a 12,000-file layer.
 */
export interface CodeUnpacker {
  /** Decodes or reads the zip, checks AWS's limits and its entries' names, hashes it. Throws AWS's errors. */
  inspect(source: ZipSource, operation: string): Promise<UnpackedCode>;
  /**
   * Unpacks under `dir` (replacing it; the zip is kept as `<dir>.zip`), refusing a broken entry.
   * With a store, files are hard links to its copies and their hashes are listed in `<dir>.files`.
   * The last use of `code`: a large zip's bytes move to the worker (copying 13 MB into it took
   * this thread 150 ms on a loaded machine), leaving `code.zip` empty.
   */
  write(dir: string, code: UnpackedCode, files?: FileStore): Promise<void>;
  /** Inflates every entry without writing (a dry run's check that the zip is whole). */
  verify(code: UnpackedCode): Promise<void>;
  /**
   * Removes a package `write` made (its folder, `<dir>.zip`, `<dir>.files`) and, with the store,
   * deletes the stored copies no other package links. A large package goes to the worker (no
   * `rm -r` or per-content stat and unlink on this thread); either way it never runs while an
   * unpack links into the same store (see `createCodeUnpacker`).
   */
  remove(dir: string, files?: FileStore): Promise<void>;
  /**
   * Parses a large request body carrying a direct upload in the worker (`JSON.parse` of 18 MB and
   * its base64 cost the event loop ~200 ms): the body as `jsonBody` would give it, with the
   * `ZipFile` under `holder` ('' for the body itself, 'Code', 'Content') replaced by an
   * `InspectedUpload`. The body's bytes move to the worker. `onError` builds the JSON error.
   */
  parseCodeBody(body: Buffer, holder: string, operation: string, onError: (detail: string) => AwsError): Promise<Record<string, unknown>>;
  /** Jobs run in the worker and on the calling thread (for tests and benchmarks). */
  readonly stats: { worker: number; inline: number };
  /** Stops the worker; jobs in flight fail. */
  close(): Promise<void>;
}

export interface CodeUnpackerOptions {
  /**
   * Zips of at most this many bytes are handled on the calling thread: a function's own code
   * (a few KB, a few files) takes well under a millisecond there, less than handing it over.
   * Default 64 KB; 0 sends everything to the worker.
   */
  readonly inlineBytes?: number;
}

/**
 * The worker. From dist it is unzip-worker.js next to this file. From the sources (tests run
 * through tsx) Node 20 does not carry tsx's loader into worker threads, so the worker first
 * registers it, then imports unzip-worker.ts (as the engine's packaging worker does).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./unzip-worker.js', import.meta.url));
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./unzip-worker.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`, { eval: true });
}

/** The buffer to move with a message: only one the view spans whole (never a pool's slab); else it is copied. */
const ownBuffer = (b: Uint8Array): ArrayBuffer[] =>
  (b.buffer instanceof ArrayBuffer && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? [b.buffer] : []);

type Job = ToWorker extends infer T ? T extends unknown ? Omit<T, 'id'> : never : never;

/**
 * The content store is only ever changed by one job at a time. Unpacking (linking a stored copy,
 * or writing a new one and linking it) and removing (releasing a copy: stat, and unlink when no
 * package links it) of one content must not interleave: a release could see a copy with no other
 * link, an unpack link it, and the release then delete it (the store loses the copy; the next
 * package holding it writes it again). (A new content is never seen unlinked: it gets its store
 * name as a link to the file already in place, see unzip.ts `unpackZip`.) The worker runs its jobs
 * one at a time, so its unpacks and removals are ordered; a job run on this thread (a small zip,
 * a small package) is synchronous, so it is whole, and it runs here only while no job that
 * touches the store is in the worker (`storeJobs`); otherwise it queues in the worker behind it.
 */
export function createCodeUnpacker(options: CodeUnpackerOptions = {}): CodeUnpacker {
  const inlineBytes = options.inlineBytes ?? 64 * 1024;
  const stats = { worker: 0, inline: 0 };
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Jobs sent to the worker that change the content store (unpack or remove with a store), not answered yet. */
  let storeJobs = 0;
  let worker: Worker | undefined;
  let nextId = 0;

  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const toError = (m: Extract<FromWorker, { ok: false }>) => (m.aws ? new AwsError(m.aws.code, m.aws.message, m.aws.status) : new Error(`unpacking code failed: ${m.message}`));

  function started(): Worker {
    if (worker) return worker;
    const w = startWorker();
    w.on('message', (m: FromWorker) => {
      const job = waiting.get(m.id);
      waiting.delete(m.id);
      if (waiting.size === 0) w.unref();
      if (!job) return;
      if (m.ok) job.resolve(m.result);
      else job.reject(toError(m));
    });
    w.on('error', (e) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the code unpacking worker failed: ${e.message}`));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = undefined;
      failAll(new Error(`the code unpacking worker stopped (exit code ${code})`));
    });
    worker = w;
    return w;
  }

  function inWorker<T>(job: Job, transfer: ArrayBuffer[] = []): Promise<T> {
    stats.worker++;
    const w = started();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.ref();
      w.postMessage({ ...job, id } as ToWorker, transfer);
    });
  }

  function inline<T>(f: () => T): T {
    stats.inline++;
    try {
      return f();
    } catch (e) {
      if (e instanceof UnzipFailure) throw new AwsError(e.error.code, e.error.message, e.error.status);
      throw e;
    }
  }

  /** Counts a worker job that changes the store (`files` given) in `storeJobs` until it is answered. */
  async function storeJob<T>(files: FileStore | undefined, run: () => Promise<T>): Promise<T> {
    if (!files) return run();
    storeJobs++;
    try {
      return await run();
    } finally {
      storeJobs--;
    }
  }
  /** A package's size, by its kept zip (no zip: not written, or a partial one: large, to be safe). */
  const zipSizeOf = (dir: string) => {
    try {
      return statSync(`${dir}.zip`).size;
    } catch {
      return Infinity;
    }
  };

  const sizeOf = (source: ZipSource) => ('base64' in source ? base64Length(source.base64) : 'base64Ascii' in source ? Math.floor((source.base64Ascii.length * 3) / 4) : 'bytes' in source ? source.bytes.length : Infinity);

  return {
    stats,
    async inspect(source, operation) {
      if (sizeOf(source) <= inlineBytes) return inline(() => inspectZip(source, operation));
      if (!('base64' in source)) return inWorker<InspectedZip>({ op: 'inspect', source, operation });
      // Cloning a long string into the worker costs this thread ~70 ms for 18 MB; encoding it takes a
      // few ms and the bytes move without a copy. (UTF-8: a character outside base64's is still refused there.)
      const ascii = Buffer.from(source.base64, 'utf8');
      return inWorker<InspectedZip>({ op: 'inspect', source: { base64Ascii: ascii }, operation }, ownBuffer(ascii));
    },
    async write(dir, code, files) {
      const r = code.size <= inlineBytes && !(files && storeJobs > 0)
        ? inline(() => unpackZip(code.zip, dir, files?.dir))
        : await storeJob(files, () => inWorker<UnpackResult>({ op: 'unpack', zip: code.zip, dir, storeDir: files?.dir }, ownBuffer(code.zip)));
      if (files) {
        files.stats.written += r.written;
        files.stats.linked += r.linked;
      }
    },
    async remove(dir, files) {
      if (zipSizeOf(dir) <= inlineBytes && !(files && storeJobs > 0)) inline(() => removeCodeSync(dir, files?.dir));
      else await storeJob(files, () => inWorker<null>({ op: 'remove', dir, storeDir: files?.dir }));
    },
    async verify(code) {
      if (code.size <= inlineBytes) inline(() => verifyZip(code.zip));
      else await inWorker<null>({ op: 'verify', zip: code.zip });
    },
    async parseCodeBody(body, holder, operation, onError) {
      const parsed = await inWorker<ParsedCodeBody>({ op: 'body', body, holder, operation }, ownBuffer(body));
      if ('jsonError' in parsed) throw onError(parsed.jsonError);
      const { value, zip } = parsed;
      if (zip) {
        const at = (holder ? value[holder] : value) as Record<string, unknown>;
        at.ZipFile = new InspectedUpload('code' in zip ? { code: zip.code } : { error: new AwsError(zip.failure.code, zip.failure.message, zip.failure.status) });
      }
      return value;
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
      failAll(new Error('the code unpacking worker was stopped'));
    },
  };
}

/**
 * Unpacked files, content-addressed: each distinct content is written once (`<dir>/<sha256>`,
 * read-only, like /var/task) and every package holding it gets a hard link, so an update that
 * changes one file writes one file. A copy no package links any more is deleted when the last
 * package holding it is removed. Only the unpacker writes and frees it (`CodeUnpacker.write` and
 * `remove`), which orders the two (see `createCodeUnpacker`).
 */
export interface FileStore {
  /** Where the copies are: `<dir>/<sha256>`. */
  readonly dir: string;
  /** Distinct contents written, and files placed by linking an existing copy (for tests and benchmarks). */
  readonly stats: { written: number; linked: number };
}

export function createFileStore(dir: string): FileStore {
  return { dir, stats: { written: 0, linked: 0 } };
}

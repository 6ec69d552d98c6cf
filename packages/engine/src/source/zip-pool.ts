import { open } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ManifestEntry } from '@hangar/core';
import { sortEntries } from './zip.js';
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
   * Writes the deterministic zip of `entries` (same bytes as `buildZip`) to the file `out`,
   * compressing in a worker thread so the event loop stays free for the API. Blobs are read one
   * after another on this thread (I/O) and handed over; at most `maxInFlightBytes` of them wait in
   * the worker at once, and the compressed output is written to `out` as it comes, so memory stays
   * bounded by one large file plus that window. Resolves with the zip's size in bytes.
   */
  build(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string): Promise<number>;
}

/** At most `concurrency` zips are built at once (one worker thread each); the others wait their turn. */
export function createPackager(options: { concurrency?: number; maxInFlightBytes?: number } = {}): Packager {
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const maxInFlight = options.maxInFlightBytes ?? 16 * 1024 * 1024;
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

  async function buildOne(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>, out: string): Promise<number> {
    const file = await open(out, 'w');
    const worker = startWorker();
    let written = 0;
    let writing: Promise<unknown> = Promise.resolve();
    let inFlight = 0;
    let credit: (() => void) | undefined;
    let failed: Error | undefined;
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
    done.catch(() => {});
    const stop = (e: Error) => {
      if (!failed) failed = e;
      fail(e);
      credit?.();
    };
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'chunk') {
        const data = m.data;
        written += data.byteLength;
        writing = writing.then(() => file.write(data)).catch((e: unknown) => stop(e instanceof Error ? e : new Error(String(e))));
      } else if (m.type === 'ack') {
        inFlight -= m.bytes;
        credit?.();
      } else if (m.type === 'done') {
        finish();
      } else {
        stop(new Error(`packaging failed: ${m.message}`));
      }
    });
    worker.on('error', (e) => stop(e));
    worker.on('exit', (code) => stop(new Error(`the packaging worker exited (code ${code}) before finishing`)));
    const post = (m: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
    try {
      for (const e of sortEntries(entries)) {
        while (inFlight > 0 && inFlight + e.size > maxInFlight && !failed) await new Promise<void>((r) => { credit = () => { credit = undefined; r(); }; });
        if (failed) throw failed;
        const bytes = await read(e.sha256);
        if (bytes.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${bytes.length} bytes, the manifest says ${e.size}`);
        // Hand the bytes over without a copy when they own their buffer (readFile's do).
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
        const data = own ? bytes : bytes.slice();
        inFlight += data.byteLength;
        post({ type: 'file', path: e.path, mode: e.mode, data }, [data.buffer as ArrayBuffer]);
      }
      post({ type: 'end' });
      await done;
      await writing;
      if (failed) throw failed;
      return written;
    } finally {
      worker.removeAllListeners('exit');
      await worker.terminate().catch(() => {});
      await file.close().catch(() => {});
    }
  }

  return {
    async build(entries, read, out) {
      await acquire();
      try {
        return await buildOne(entries, read, out);
      } finally {
        release();
      }
    },
  };
}

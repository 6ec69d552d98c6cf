// The packaging worker: compresses the files the main thread sends (compressEntry: CRC-32 + raw
// deflate, or stored), off the event loop, sends each entry's data back at once, and writes it to
// the entry cache later, when files stop coming (see WRITE_AFTER_MS): a build does not wait for
// those writes, nor does an upload share the CPU with them. Synchronous file calls here block only
// this thread and keep those writes off libuv's pool that the API's own work needs.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { createSharedArena, shared } from '../shared-bytes.js';
import { lowerThisThreadPriority } from '../thread-priority.js';
import { compressEntry, entryHeader, type CompressedEntry } from './zip.js';

export type ToWorker = {
  type: 'file'; id: number; how: 'store' | 'deflate'; data: Uint8Array;
  /** The entry cache file to write. */
  file: string;
  /** Reply `cached` without compressing when `file` exists already (another engine process or an earlier run made it). */
  skipIfCached: boolean;
};
export type FromWorker =
  /** Compressed; `written` or `error` follows. */
  | { type: 'entry'; id: number; method: 0 | 8; crc: number; size: number; data: Uint8Array }
  | { type: 'written'; id: number }
  | { type: 'cached'; id: number }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const arena = createSharedArena();
lowerThisThreadPriority();
const dirs = new Set<string>();

function writeEntryFile(file: string, e: CompressedEntry): void {
  const dir = dirname(file);
  if (!dirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const part of [entryHeader(e), e.data]) {
        for (let at = 0; at < part.length;) at += writeSync(fd, part, at, part.length - at);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* never written */ }
    throw err;
  }
}

// Entries compressed and not written yet. Creating a file costs more than deflating it (0.25-1 ms
// each on a loaded machine, against 0.05-0.2 ms of deflate), so they are written once no file has
// come to compress for WRITE_AFTER_MS (an upload of thousands of blobs, or a build, is over), one
// per turn of this thread's loop so a new file is compressed first; beyond WRITE_NOW_BYTES they are
// written at once (the main thread stops sending at twice its 16 MB in-flight window anyway).
// 5 s and not 1: a first deploy's package is built from the entries held in memory within a second
// of the upload, and then (in `hangar up`) the local cloud creates the same thousands of files on the
// same disk; writing the entry files then too made the small bench app's PublishLayerVersion take
// 3.2 s instead of 1.3 s (measured, same run otherwise). After 5 s quiet the deploy is usually done.
const WRITE_AFTER_MS = 5000;
const WRITE_NOW_BYTES = 24 * 1024 * 1024;
const writes: Array<{ id: number; file: string; entry: CompressedEntry }> = [];
let heldBytes = 0;
let lastFile = 0;
let writing: NodeJS.Immediate | NodeJS.Timeout | undefined;
const writeNext = (): void => {
  writing = undefined;
  const wait = lastFile + WRITE_AFTER_MS - Date.now();
  if (wait > 0 && heldBytes <= WRITE_NOW_BYTES) {
    writing = setTimeout(writeNext, wait);
    return;
  }
  const w = writes.shift();
  if (!w) return;
  heldBytes -= w.entry.data.length;
  try {
    writeEntryFile(w.file, w.entry);
    port.postMessage({ type: 'written', id: w.id } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ type: 'error', id: w.id, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
  if (writes.length > 0) writing = setImmediate(writeNext);
};

port.on('message', (m: ToWorker) => {
  try {
    lastFile = Date.now();
    if (m.skipIfCached && existsSync(m.file)) return port.postMessage({ type: 'cached', id: m.id } satisfies FromWorker);
    // The entry's bytes in shared memory: the main thread reads the same bytes this thread keeps
    // for the write, so the answer copies nothing on either side.
    const made = compressEntry(m.how, m.data);
    const e = { ...made, data: shared(made.data, arena) };
    port.postMessage({ type: 'entry', id: m.id, method: e.method, crc: e.crc, size: e.size, data: e.data } satisfies FromWorker);
    writes.push({ id: m.id, file: m.file, entry: e });
    heldBytes += e.data.length;
    writing ??= setImmediate(writeNext);
  } catch (err) {
    port.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
});

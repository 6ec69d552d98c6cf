// The packaging worker: compresses the files the main thread sends (compressEntry: CRC-32 + raw
// deflate, or stored), off the event loop, writes each entry to the entry cache (synchronous file
// calls here block only this thread, and keep thousands of small writes off libuv's pool that the
// API's own file and crypto work waits on), and sends the entry's data back.
import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { compressEntry, entryHeader, type CompressedEntry } from './zip.js';

export type ToWorker = {
  type: 'file'; id: number; how: 'store' | 'deflate'; data: Uint8Array;
  /** The entry cache file to write. */
  file: string;
  /** Reply `cached` without compressing when `file` exists already (another engine process or an earlier run made it). */
  skipIfCached: boolean;
};
export type FromWorker =
  | { type: 'entry'; id: number; method: 0 | 8; crc: number; size: number; data: Uint8Array }
  | { type: 'cached'; id: number }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
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

port.on('message', (m: ToWorker) => {
  try {
    if (m.skipIfCached && existsSync(m.file)) return port.postMessage({ type: 'cached', id: m.id } satisfies FromWorker);
    const e = compressEntry(m.how, m.data);
    writeEntryFile(m.file, e);
    // Stored data is the buffer we were given; deflated data is zlib's (copied to its own buffer): either way ours to transfer.
    port.postMessage({ type: 'entry', id: m.id, method: e.method, crc: e.crc, size: e.size, data: e.data } satisfies FromWorker, [e.data.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
});

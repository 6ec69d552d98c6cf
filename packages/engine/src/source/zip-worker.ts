// The packaging worker: compresses the files the main thread sends (compressEntry: CRC-32 + raw
// deflate, or stored), off the event loop, and sends each entry's data back.
import { parentPort } from 'node:worker_threads';
import { compressEntry } from './zip.js';

export type ToWorker = { type: 'file'; id: number; how: 'store' | 'deflate'; data: Uint8Array } | { type: 'end' };
export type FromWorker =
  | { type: 'entry'; id: number; method: 0 | 8; crc: number; size: number; data: Uint8Array }
  | { type: 'error'; message: string };

const port = parentPort!;
port.on('message', (m: ToWorker) => {
  if (m.type === 'end') return void port.close();
  try {
    const e = compressEntry(m.how, m.data);
    // Stored data is the buffer we were given; deflated data is zlib's, copied to a buffer of its own: either way ours to transfer.
    port.postMessage({ type: 'entry', id: m.id, method: e.method, crc: e.crc, size: e.size, data: e.data } satisfies FromWorker, [e.data.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
});

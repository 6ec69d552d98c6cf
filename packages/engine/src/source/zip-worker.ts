// The worker thread behind buildZipInWorker: compresses files sent by the main thread with the
// same deterministic writer as buildZip, and sends the zip's bytes back as they are produced.
import { parentPort } from 'node:worker_threads';
import { createZipWriter } from './zip.js';

export type ToWorker = { type: 'file'; path: string; mode: number; data: Uint8Array } | { type: 'end' };
export type FromWorker = { type: 'chunk'; data: Uint8Array } | { type: 'ack'; bytes: number } | { type: 'done' } | { type: 'error'; message: string };

const port = parentPort!;
const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
const writer = createZipWriter((chunk) => {
  // A copy fflate can keep no reference to, transferred (not cloned again) to the main thread.
  const data = chunk.slice();
  send({ type: 'chunk', data }, [data.buffer as ArrayBuffer]);
});

port.on('message', (m: ToWorker) => {
  try {
    if (m.type === 'file') {
      writer.add(m.path, m.mode, m.data);
      send({ type: 'ack', bytes: m.data.byteLength });
    } else {
      writer.end();
      send({ type: 'done' });
    }
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});

// The unpacking worker: inspects and unpacks code zips (unzip.ts) off the cloud's event loop, one
// job at a time, and answers each job by its id. A zip it decoded or read is handed back, not copied.
// It also removes packages ('remove'), so unpacking and freeing touch the content store one after
// the other, never interleaved (see code.ts, `createCodeUnpacker`).
import { parentPort } from 'node:worker_threads';
import {
  inspectZip, parseCodeBody, removeCodeSync, unpackZip, UnzipFailure, verifyZip, type InspectedZip, type ParsedCodeBody, type UnpackResult, type UnzipError, type ZipSource,
} from './unzip.js';

export type ToWorker =
  | { readonly id: number; readonly op: 'inspect'; readonly source: ZipSource; readonly operation: string }
  | { readonly id: number; readonly op: 'unpack'; readonly zip: Uint8Array; readonly dir: string; readonly storeDir: string | undefined }
  | { readonly id: number; readonly op: 'verify'; readonly zip: Uint8Array }
  | { readonly id: number; readonly op: 'remove'; readonly dir: string; readonly storeDir: string | undefined }
  | { readonly id: number; readonly op: 'body'; readonly body: Uint8Array; readonly holder: string; readonly operation: string };

export type FromWorker =
  | { readonly id: number; readonly ok: true; readonly result: InspectedZip | UnpackResult | ParsedCodeBody | null }
  | { readonly id: number; readonly ok: false; readonly aws?: UnzipError; readonly message: string };

const port = parentPort!;
port.on('message', (m: ToWorker) => {
  try {
    if (m.op === 'inspect') {
      const result = inspectZip(m.source, m.operation);
      // Bytes this thread made (decoded or read) go back without a copy; bytes it was given stay put.
      const own = ('base64Ascii' in m.source || 'file' in m.source) && result.zip.byteOffset === 0 && result.zip.byteLength === result.zip.buffer.byteLength;
      port.postMessage({ id: m.id, ok: true, result } satisfies FromWorker, own ? [result.zip.buffer as ArrayBuffer] : []);
    } else if (m.op === 'body') {
      const result = parseCodeBody(m.body, m.holder, m.operation);
      const zip = 'value' in result && result.zip && 'code' in result.zip ? result.zip.code.zip : undefined;
      port.postMessage({ id: m.id, ok: true, result } satisfies FromWorker, zip && zip.byteOffset === 0 && zip.byteLength === zip.buffer.byteLength ? [zip.buffer as ArrayBuffer] : []);
    } else if (m.op === 'unpack') {
      port.postMessage({ id: m.id, ok: true, result: unpackZip(m.zip, m.dir, m.storeDir) } satisfies FromWorker);
    } else if (m.op === 'remove') {
      removeCodeSync(m.dir, m.storeDir);
      port.postMessage({ id: m.id, ok: true, result: null } satisfies FromWorker);
    } else {
      verifyZip(m.zip);
      port.postMessage({ id: m.id, ok: true, result: null } satisfies FromWorker);
    }
  } catch (err) {
    const aws = err instanceof UnzipFailure ? err.error : undefined;
    port.postMessage({ id: m.id, ok: false, ...(aws ? { aws } : {}), message: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
});

// The blob writer: stores groups of blobs in the filesystem blob store with synchronous calls, off
// the event loop: a group's small blobs as rows of the store's SQLite file in one transaction
// (small-blobs.ts), larger ones as files (a temp file, then a rename). The main thread only sends
// the group (views into shared memory as the upload route reads them: no copy) and reads one answer.
import { mkdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../thread-priority.js';
import { openSmallBlobs, SMALL_BLOBS_FILE, SMALL_BLOB_BYTES, type SmallBlobs } from './small-blobs.js';

export interface ToWriter {
  readonly id: number;
  /** The store's root folder; a blob goes to `<root>/<ab>/<cd>/<sha256>`. */
  readonly root: string;
  /** Each blob's hash and bytes: views into shared memory, or into one buffer transferred with the message. */
  readonly blobs: readonly { readonly sha256: string; readonly bytes: Uint8Array }[];
}
export interface FromWriter {
  readonly id: number;
  /** Blobs that could not be stored (the others are); a blob already there counts as stored. */
  readonly failed: readonly { readonly sha256: string; readonly code?: string; readonly message: string }[];
}

const port = parentPort!;
lowerThisThreadPriority();
/** Folders made or found by this thread. One removed behind its back is made again when a write finds it gone. */
const dirs = new Set<string>();
// Temp names: a random part drawn once per thread and a counter; a clash fails (flag 'wx'), never mixes two writes.
const tmpPrefix = randomBytes(6).toString('hex');
let tmpCount = 0;

function storeFile(root: string, sha256: string, bytes: Uint8Array): void {
  const target = join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  if (statSync(target, { throwIfNoEntry: false })?.isFile()) return; // another org's upload, or a retry
  const dir = dirname(target);
  if (!dirs.has(dir)) {
    mkdirSync(dir, { recursive: true });
    dirs.add(dir);
  }
  const tmp = `${target}.w${tmpPrefix}${(tmpCount++).toString(36)}.tmp`;
  try {
    try {
      writeFileSync(tmp, bytes, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, bytes, { flag: 'wx' });
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // not written, or already renamed
    }
    throw e;
  }
}

/** Each store's small-blob file, opened once. */
const smallOf = new Map<string, SmallBlobs>();

function fail(failed: { sha256: string; code?: string; message: string }[], sha256: string, e: unknown): void {
  const code = (e as NodeJS.ErrnoException).code;
  failed.push({ sha256, ...(code ? { code } : {}), message: (e as Error).message });
}

port.on('message', (m: ToWriter) => {
  const failed: { sha256: string; code?: string; message: string }[] = [];
  const rows: { sha256: string; bytes: Uint8Array }[] = [];
  for (const b of m.blobs) {
    if (b.bytes.byteLength <= SMALL_BLOB_BYTES) {
      rows.push(b);
      continue;
    }
    try {
      storeFile(m.root, b.sha256, b.bytes);
    } catch (e) {
      fail(failed, b.sha256, e);
    }
  }
  if (rows.length > 0) {
    try {
      let small = smallOf.get(m.root);
      if (!small) {
        mkdirSync(m.root, { recursive: true });
        small = openSmallBlobs(join(m.root, SMALL_BLOBS_FILE));
        smallOf.set(m.root, small);
      }
      small.putAll(rows);
    } catch (e) {
      for (const r of rows) fail(failed, r.sha256, e);
    }
  }
  port.postMessage({ id: m.id, failed } satisfies FromWriter);
});

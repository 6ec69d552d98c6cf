import { Zip, ZipDeflate } from 'fflate';
import type { ManifestEntry } from '@hangar/core';

/**
 * A fixed modification time, built from local-time parts because zip stores local DOS time:
 * every engine, in any time zone, writes the same bytes for the same files.
 */
const fixedMtime = (): Date => new Date(1980, 0, 2, 0, 0, 0);

/** Paths in byte order: the one order every builder (in process or in a worker) writes. */
export function sortEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The deterministic zip writer both builders share: files added in the order given (callers sort),
 * a fixed mtime, unix modes kept (so an executable stays executable on Lambda), deflate level 6.
 * Compressed bytes go to `onChunk` as they are produced. CPU-heavy: run it off the event loop
 * (`buildZipInWorker`) for anything large.
 */
export function createZipWriter(onChunk: (chunk: Uint8Array) => void): { add(path: string, mode: number, data: Uint8Array): void; end(): void } {
  let failure: Error | undefined;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else onChunk(chunk);
  });
  const mtime = fixedMtime();
  return {
    add(path, mode, data) {
      const file = new ZipDeflate(path, { level: 6 });
      file.mtime = mtime;
      file.os = 3;
      file.attrs = ((0o100000 | (mode & 0o777)) << 16) >>> 0;
      zip.add(file);
      file.push(data, true);
      if (failure) throw failure;
    },
    end() {
      zip.end();
      if (failure) throw failure;
    },
  };
}

/**
 * Builds a zip of the manifest's files in this thread, deterministically: sorted paths, a fixed
 * mtime, unix modes kept, deflate level 6. The same manifest always gives byte-identical output,
 * so Lambda's CodeSha256 is stable across deploys. It compresses on the calling thread: the
 * engine uses `buildZipInWorker` (same bytes), this one is the reference and for small inputs.
 */
export async function buildZip(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const writer = createZipWriter((c) => chunks.push(c));
  for (const e of sortEntries(entries)) {
    const data = await read(e.sha256);
    if (data.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${data.length} bytes, the manifest says ${e.size}`);
    writer.add(e.path, e.mode, data);
  }
  writer.end();
  return concat(chunks);
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

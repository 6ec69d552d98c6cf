import { Zip, ZipDeflate } from 'fflate';
import type { ManifestEntry } from '@hangar/core';

/**
 * A fixed modification time, built from local-time parts because zip stores local DOS time:
 * every engine, in any time zone, writes the same bytes for the same files.
 */
const fixedMtime = (): Date => new Date(1980, 0, 2, 0, 0, 0);

/**
 * Builds a zip of the manifest's files, deterministically: sorted paths, a fixed mtime, unix
 * modes kept (so an executable stays executable on Lambda), deflate level 6. The same manifest
 * always gives byte-identical output, so Lambda's CodeSha256 is stable across deploys.
 * Yields to the event loop between files so a large package does not stall the engine.
 */
export async function buildZip(entries: readonly ManifestEntry[], read: (sha256: string) => Promise<Uint8Array>): Promise<Uint8Array> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Uint8Array[] = [];
  let failure: Error | undefined;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else chunks.push(chunk);
  });
  const mtime = fixedMtime();
  let sinceYield = 0;
  for (const e of sorted) {
    const data = await read(e.sha256);
    if (data.length !== e.size) throw new Error(`blob ${e.sha256} for ${e.path} has ${data.length} bytes, the manifest says ${e.size}`);
    const file = new ZipDeflate(e.path, { level: 6 });
    file.mtime = mtime;
    file.os = 3;
    file.attrs = ((0o100000 | (e.mode & 0o777)) << 16) >>> 0;
    zip.add(file);
    file.push(data, true);
    sinceYield += data.length + 4096;
    if (sinceYield > 4 * 1024 * 1024) {
      sinceYield = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
    if (failure) throw failure;
  }
  zip.end();
  if (failure) throw failure;
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

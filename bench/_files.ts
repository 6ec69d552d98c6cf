// Shared by the benchmarks: walking an app's tree and reading it as manifest entries.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '@hangar/core';

/** Every regular file under `dir`, as paths relative to it (`/`-separated). */
export function listFiles(dir: string, rel = '', out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) listFiles(join(dir, d.name), p, out);
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** The tree as manifest entries, and each file's bytes by sha256. */
export function readEntries(root: string): { entries: ManifestEntry[]; bytesOf: Map<string, Uint8Array> } {
  const bytesOf = new Map<string, Uint8Array>();
  const entries = listFiles(root).map((p): ManifestEntry => {
    const b = new Uint8Array(readFileSync(join(root, p)));
    const sha = createHash('sha256').update(b).digest('hex');
    bytesOf.set(sha, b);
    return { path: p, sha256: sha, size: b.length, mode: statSync(join(root, p)).mode & 0o777 };
  });
  return { entries, bytesOf };
}

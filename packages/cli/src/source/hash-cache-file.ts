/**
 * The hash cache on disk: one line per file, `path\tsize\tmtimeMs\tino\tsha256`, under
 * `$HANGAR_HOME/cache/`, keyed by the source folder's absolute path. Tab-separated lines parse
 * several times faster than JSON for 12,000 entries. A missing or damaged cache is just empty.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HashCache, HashCacheEntry } from './hash-tree.js';

const HEADER = 'hangar-hash-cache 1';

export function hashCachePath(hangarHome: string, sourceRoot: string): string {
  const key = createHash('sha256').update(sourceRoot).digest('hex').slice(0, 32);
  return join(hangarHome, 'cache', `tree-${key}.tsv`);
}

export function loadHashCache(file: string): Map<string, HashCacheEntry> {
  const cache = new Map<string, HashCacheEntry>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return cache;
  }
  const lines = text.split('\n');
  if (lines[0] !== HEADER) return cache;
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split('\t');
    if (f.length !== 5) continue;
    const [path, size, mtimeMs, ino, sha256] = f as [string, string, string, string, string];
    cache.set(path, { size: Number(size), mtimeMs: Number(mtimeMs), ino: Number(ino), sha256 });
  }
  return cache;
}

export function saveHashCache(file: string, cache: HashCache): void {
  const parts = [HEADER];
  for (const [path, e] of cache) {
    if (path.includes('\t') || path.includes('\n')) continue;
    parts.push(`${path}\t${e.size}\t${e.mtimeMs}\t${e.ino}\t${e.sha256}`);
  }
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, parts.join('\n'), { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * The hash cache on disk, under `$HANGAR_HOME/cache/`, keyed by the source folder's absolute
 * path: `{"v":1,"entries":[[path,size,mtimeMs,ino,sha256],...]}`. JSON.parse of compact arrays
 * measured about twice as fast as splitting tab-separated lines for 12,000 entries, and this
 * file is read on every deploy. A missing or damaged cache is just empty.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HashCache, HashCacheEntry } from './hash-tree.js';

type Row = [string, number, number, number, string];

export function hashCachePath(hangarHome: string, sourceRoot: string): string {
  const key = createHash('sha256').update(sourceRoot).digest('hex').slice(0, 32);
  return join(hangarHome, 'cache', `tree-${key}.json`);
}

export function loadHashCache(file: string): Map<string, HashCacheEntry> {
  const cache = new Map<string, HashCacheEntry>();
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { v?: unknown; entries?: unknown };
    if (doc.v !== 1 || !Array.isArray(doc.entries)) return cache;
    for (const row of doc.entries as Row[]) {
      if (!Array.isArray(row) || row.length !== 5 || typeof row[0] !== 'string' || typeof row[4] !== 'string') continue;
      cache.set(row[0], { size: row[1], mtimeMs: row[2], ino: row[3], sha256: row[4] });
    }
  } catch {
    cache.clear();
  }
  return cache;
}

export function saveHashCache(file: string, cache: HashCache): void {
  const rows: Row[] = [];
  for (const [path, e] of cache) rows.push([path, e.size, e.mtimeMs, e.ino, e.sha256]);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ v: 1, entries: rows }), { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * The hash cache on disk, under `$HANGAR_HOME/cache/`, keyed by the source folder's absolute
 * path: `tree-<key>.bin`, `v8.serialize({ v: 2, paths, nums, sha })` with the entries as columns:
 * `paths` joined by newlines, `nums` a Float64Array of (size, mtimeMs, ino) per entry, `sha` the
 * hex digests end to end. It is read on every deploy and written after any change: on the large
 * bench app (11,908 entries) the columns loaded in ~45 ms and saved in ~45 ms where the JSON of
 * one array per entry (version 1, `tree-<key>.json`) took ~65 ms each, cold, in a fresh process.
 * A path holding a newline is left out (that file is hashed again each time). A missing, damaged
 * or version-1 cache is just empty; saving removes the version-1 file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { HashCache, HashCacheEntry } from './hash-tree.js';

export function hashCachePath(hangarHome: string, sourceRoot: string): string {
  const key = createHash('sha256').update(sourceRoot).digest('hex').slice(0, 32);
  return join(hangarHome, 'cache', `tree-${key}.bin`);
}

export function loadHashCache(file: string): Map<string, HashCacheEntry> {
  const cache = new Map<string, HashCacheEntry>();
  try {
    const doc = deserialize(readFileSync(file)) as { v?: unknown; paths?: unknown; nums?: unknown; sha?: unknown };
    const { paths, nums, sha } = doc;
    if (doc.v !== 2 || typeof paths !== 'string' || !(nums instanceof Float64Array) || typeof sha !== 'string') return cache;
    const n = nums.length / 3;
    if (!Number.isInteger(n) || sha.length !== n * 64) return cache;
    if (n === 0) return cache;
    const names = paths.split('\n');
    if (names.length !== n) return cache;
    for (let i = 0; i < n; i++) {
      cache.set(names[i]!, { size: nums[3 * i]!, mtimeMs: nums[3 * i + 1]!, ino: nums[3 * i + 2]!, sha256: sha.slice(64 * i, 64 * i + 64) });
    }
  } catch {
    cache.clear();
  }
  return cache;
}

export function saveHashCache(file: string, cache: HashCache): void {
  const names: string[] = [];
  const shas: string[] = [];
  const nums = new Float64Array(cache.size * 3);
  for (const [path, e] of cache) {
    if (path.includes('\n') || e.sha256.length !== 64) continue;
    const i = names.length;
    nums[3 * i] = e.size;
    nums[3 * i + 1] = e.mtimeMs;
    nums[3 * i + 2] = e.ino;
    names.push(path);
    shas.push(e.sha256);
  }
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, serialize({ v: 2, paths: names.join('\n'), nums: nums.subarray(0, names.length * 3), sha: shas.join('') }), { mode: 0o600 });
  renameSync(tmp, file);
  if (file.endsWith('.bin')) rmSync(`${file.slice(0, -4)}.json`, { force: true }); // version 1's file, superseded
}

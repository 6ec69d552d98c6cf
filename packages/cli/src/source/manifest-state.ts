/**
 * The last manifest the engine accepted for one instance, kept locally so the next deploy sends
 * only what changed. Keyed by engine URL + org + app + stage + name. Two files: a tiny `.id` read
 * on every deploy, and the entries, read only when the tree changed: `manifest-<key>.bin`,
 * `v8.serialize({ v: 2, id, paths, nums, sha })` with the entries as columns (as the hash cache
 * keeps its own): `paths` joined by newlines, `nums` a Float64Array of (size, mode) per entry, `sha`
 * the hex digests end to end. For the large bench app's 11,908 entries the text form of version 1
 * (`.tsv`, one line each) took ~45 ms to read and ~30 ms to write on every one-file change.
 * A missing, damaged, stale or version-1 file is just absent (the deploy sends the whole manifest).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { ManifestEntry } from '@hangar/core';
import type { LastManifest, LastManifestSource } from './delta.js';

export interface InstanceKey {
  readonly url: string;
  readonly orgId: string;
  readonly app: string;
  readonly stage: string;
  readonly name: string;
}

export function manifestStatePath(hangarHome: string, key: InstanceKey): string {
  const id = createHash('sha256').update(JSON.stringify([key.url.replace(/\/+$/, ''), key.orgId, key.app, key.stage, key.name])).digest('hex').slice(0, 32);
  return join(hangarHome, 'cache', `manifest-${id}.bin`);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readEntries(file: string, id: string): Map<string, ManifestEntry> | undefined {
  try {
    const doc = deserialize(readFileSync(file)) as { v?: unknown; id?: unknown; paths?: unknown; nums?: unknown; sha?: unknown };
    const { paths, nums, sha } = doc;
    if (doc.v !== 2 || doc.id !== id || typeof paths !== 'string' || !(nums instanceof Float64Array) || typeof sha !== 'string') return undefined;
    const n = nums.length / 2;
    if (!Number.isInteger(n) || sha.length !== n * 64) return undefined;
    const entries = new Map<string, ManifestEntry>();
    if (n === 0) return entries;
    const names = paths.split('\n');
    if (names.length !== n) return undefined;
    for (let i = 0; i < n; i++) {
      const path = names[i]!;
      entries.set(path, { path, sha256: sha.slice(64 * i, 64 * i + 64), size: nums[2 * i]!, mode: nums[2 * i + 1]! });
    }
    return entries;
  } catch {
    return undefined;
  }
}

/** The last manifest's id now; its entries on demand (undefined if that file is missing or stale). */
export function openLastManifest(file: string): LastManifestSource | undefined {
  const id = readText(`${file}.id`)?.trim();
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return undefined;
  return { manifestId: id, entries: () => readEntries(file, id) };
}

export function loadLastManifest(file: string): LastManifest | undefined {
  const src = openLastManifest(file);
  const entries = src?.entries();
  return src && entries ? { manifestId: src.manifestId, entries } : undefined;
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

export function saveLastManifest(file: string, id: string, entries: readonly ManifestEntry[]): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  if (openLastManifest(file)?.manifestId === id) return; // already there
  const names: string[] = [];
  const shas: string[] = [];
  const nums = new Float64Array(entries.length * 2);
  // A path holding a newline is left out: the next delta re-sends it, which is harmless.
  for (const e of entries) {
    if (e.path.includes('\n') || e.sha256.length !== 64) continue;
    const i = names.length;
    nums[2 * i] = e.size;
    nums[2 * i + 1] = e.mode;
    names.push(e.path);
    shas.push(e.sha256);
  }
  writeAtomic(file, serialize({ v: 2, id, paths: names.join('\n'), nums: nums.subarray(0, names.length * 2), sha: shas.join('') }));
  writeAtomic(`${file}.id`, id);
  if (file.endsWith('.bin')) rmSync(`${file.slice(0, -4)}.tsv`, { force: true }); // version 1's file, superseded
}

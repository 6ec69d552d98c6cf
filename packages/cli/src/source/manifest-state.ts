/**
 * The last manifest the engine accepted for one instance, kept locally so the next deploy sends
 * only what changed. Keyed by engine URL + org + app + stage + name. Two files: a tiny `.id` read
 * on every deploy, and the entries (one line each), read only when the tree changed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  return join(hangarHome, 'cache', `manifest-${id}.tsv`);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseEntries(text: string, id: string): Map<string, ManifestEntry> | undefined {
  const lines = text.split('\n');
  if (lines[0] !== `hangar-manifest 1 ${id}`) return undefined;
  const entries = new Map<string, ManifestEntry>();
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split('\t');
    if (f.length !== 4) continue;
    const [path, sha256, size, mode] = f as [string, string, string, string];
    entries.set(path, { path, sha256, size: Number(size), mode: Number(mode) });
  }
  return entries;
}

/** The last manifest's id now; its entries on demand (undefined if that file is missing or stale). */
export function openLastManifest(file: string): LastManifestSource | undefined {
  const id = readText(`${file}.id`)?.trim();
  if (!id || !/^[0-9a-f]{64}$/.test(id)) return undefined;
  return { manifestId: id, entries: () => { const t = readText(file); return t === undefined ? undefined : parseEntries(t, id); } };
}

export function loadLastManifest(file: string): LastManifest | undefined {
  const src = openLastManifest(file);
  const entries = src?.entries();
  return src && entries ? { manifestId: src.manifestId, entries } : undefined;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export function saveLastManifest(file: string, id: string, entries: readonly ManifestEntry[]): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  if (openLastManifest(file)?.manifestId === id) return; // already there
  const parts = [`hangar-manifest 1 ${id}`];
  // A path holding a tab or newline is left out: the next delta re-sends it, which is harmless.
  for (const e of entries) if (!/[\t\n]/.test(e.path)) parts.push(`${e.path}\t${e.sha256}\t${e.size}\t${e.mode}`);
  writeAtomic(file, parts.join('\n'));
  writeAtomic(`${file}.id`, id);
}

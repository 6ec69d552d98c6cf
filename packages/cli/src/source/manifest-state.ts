/**
 * The last manifest the engine accepted for one instance, kept locally so the next deploy sends
 * only what changed. Keyed by engine URL + org + app + stage + name; one line per entry.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestEntry } from '@hangar/core';
import type { LastManifest } from './delta.js';

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

export function loadLastManifest(file: string): LastManifest | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const head = /^hangar-manifest 1 ([0-9a-f]{64})$/.exec(lines[0] ?? '');
  if (!head) return undefined;
  const entries = new Map<string, ManifestEntry>();
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split('\t');
    if (f.length !== 4) continue;
    const [path, sha256, size, mode] = f as [string, string, string, string];
    entries.set(path, { path, sha256, size: Number(size), mode: Number(mode) });
  }
  return { manifestId: head[1]!, entries };
}

export function saveLastManifest(file: string, id: string, entries: readonly ManifestEntry[]): void {
  const parts = [`hangar-manifest 1 ${id}`];
  // A path holding a tab or newline is left out: the next delta re-sends it, which is harmless.
  for (const e of entries) if (!/[\t\n]/.test(e.path)) parts.push(`${e.path}\t${e.sha256}\t${e.size}\t${e.mode}`);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, parts.join('\n'), { mode: 0o600 });
  renameSync(tmp, file);
}

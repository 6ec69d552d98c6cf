/**
 * List the files of a source folder as POSIX paths relative to it, skipping what must never be
 * uploaded: `.git` and `.hangar` folders, and `.env*` files (secrets live there). `node_modules`
 * is kept: it is the function's runtime dependencies. Symlinked files are followed (their bytes
 * are uploaded); symlinked folders are skipped so a link cannot loop or escape the tree.
 *
 * Synchronous on purpose: on small files the thread-pool hand-off of the async API costs more
 * than the system call itself (bench/results/deploy.md measures both).
 */
import { readdirSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';

const SKIPPED_DIRS = new Set(['.git', '.hangar']);

/** `.env`, `.env.local`, `.envrc`...: never uploaded. */
export function isSkippedFile(name: string): boolean {
  return name.startsWith('.env');
}

export function isSkippedDir(name: string): boolean {
  return SKIPPED_DIRS.has(name);
}

// Paths are joined by concatenation: `root` is absolute and normalised once, and path.join's
// normalisation of every one of 12,000 paths showed up in profiles of a no-op deploy.
function visit(root: string, rel: string, out: string[]): void {
  for (const d of readdirSync(rel === '' ? root || sep : `${root}${sep}${rel}`, { withFileTypes: true })) {
    const path = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isDirectory()) {
      if (!isSkippedDir(d.name)) visit(root, path, out);
    } else if (d.isFile()) {
      if (!isSkippedFile(d.name)) out.push(path);
    } else if (d.isSymbolicLink() && !isSkippedFile(d.name)) {
      if (statSync(`${root}${sep}${path}`, { throwIfNoEntry: false })?.isFile()) out.push(path);
    }
  }
}

/** Recursively list regular files (and symlinks to files) under `root`, sorted by path. */
export function walkTree(root: string): string[] {
  const out: string[] = [];
  visit(resolve(root).replace(/[\\/]+$/, ''), '', out);
  return out.sort();
}

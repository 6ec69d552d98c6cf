/**
 * List the files of a source folder as POSIX paths relative to it, skipping what must never be
 * uploaded: `.git` and `.hangar` folders, and `.env*` files (secrets live there). `node_modules`
 * is kept: it is the function's runtime dependencies. A symlink to a file inside the folder is
 * followed (its bytes are uploaded under the link's name) unless its target is itself skipped (a
 * link to `.env` is a `.env`); a symlink to a file outside the folder is never followed: it is
 * reported in `notes.outsideLinks` (the caller refuses the deploy) and nothing of it is read.
 * Symlinked folders are skipped so a link cannot loop or escape the tree.
 *
 * Synchronous on purpose: on small files the thread-pool hand-off of the async API costs more
 * than the system call itself (bench/results/deploy.md measures both).
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';

const SKIPPED_DIRS = new Set(['.git', '.hangar']);

/** `.env`, `.env.local`, `.envrc`...: never uploaded. */
export function isSkippedFile(name: string): boolean {
  return name.startsWith('.env');
}

export function isSkippedDir(name: string): boolean {
  return SKIPPED_DIRS.has(name);
}

/** What the walk left out, for the caller to report (once per deploy) or refuse. */
export interface WalkNotes {
  /** `.env*` files, and links to them (`link -> target`), relative to the root. */
  readonly envFiles: string[];
  /** Links to files outside the root: never followed, never read. */
  readonly outsideLinks: { readonly path: string; readonly target: string }[];
  /** Folders left out because the caller named them (`excludeDirs`). */
  readonly excludedDirs: string[];
}

export interface WalkOptions {
  /** Folders (POSIX paths relative to the root) never to enter, e.g. `$HANGAR_HOME` inside it. */
  readonly excludeDirs?: ReadonlySet<string>;
  /** Filled in with what was left out. */
  readonly notes?: WalkNotes;
}

export function emptyNotes(): WalkNotes {
  return { envFiles: [], outsideLinks: [], excludedDirs: [] };
}

interface Walk {
  readonly root: string;
  /** The root with every symlink resolved, and a trailing separator: a link's target is inside
   * the root exactly when its real path starts with this. */
  readonly realPrefix: string;
  readonly out: string[];
  readonly excludeDirs: ReadonlySet<string> | undefined;
  readonly notes: WalkNotes;
}

/** A link's target relative to the root when it is a file inside the root, else why not. */
function followLink(w: Walk, path: string): { inside: string } | { outside: string } | undefined {
  const abs = `${w.root}${sep}${path}`;
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    return undefined; // dangling or looping: nothing to upload
  }
  // Stat through the link, never by the target's name: the CLI passes no path under ~/.aws to
  // the file system, even to look at it (the canary test records every path it passes).
  if (!statSync(abs, { throwIfNoEntry: false })?.isFile()) return undefined; // a folder (never followed) or a device
  if (!target.startsWith(w.realPrefix)) return { outside: target };
  return { inside: target.slice(w.realPrefix.length).split(sep).join('/') };
}

/** True when a path inside the root is one the walk never uploads (.env*, .git, .hangar, excluded folders). */
function isLeftOut(w: Walk, rel: string): boolean {
  const parts = rel.split('/');
  if (isSkippedFile(parts[parts.length - 1]!)) return true;
  for (let i = 0; i < parts.length - 1; i++) {
    if (isSkippedDir(parts[i]!)) return true;
    if (w.excludeDirs?.has(parts.slice(0, i + 1).join('/'))) return true;
  }
  return false;
}

// Paths are joined by concatenation: `root` is absolute and normalised once, and path.join's
// normalisation of every one of 12,000 paths showed up in profiles of a no-op deploy.
function visit(w: Walk, rel: string): void {
  for (const d of readdirSync(rel === '' ? w.root || sep : `${w.root}${sep}${rel}`, { withFileTypes: true })) {
    const path = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isDirectory()) {
      if (isSkippedDir(d.name)) continue;
      if (w.excludeDirs?.has(path)) w.notes.excludedDirs.push(path);
      else visit(w, path);
    } else if (d.isFile()) {
      if (!isSkippedFile(d.name)) w.out.push(path);
      else w.notes.envFiles.push(path);
    } else if (d.isSymbolicLink()) {
      if (isSkippedFile(d.name)) {
        w.notes.envFiles.push(path);
        continue;
      }
      const link = followLink(w, path);
      if (link === undefined) continue;
      if ('outside' in link) w.notes.outsideLinks.push({ path, target: link.outside });
      else if (isLeftOut(w, link.inside)) {
        if (isSkippedFile(link.inside.slice(link.inside.lastIndexOf('/') + 1))) w.notes.envFiles.push(`${path} -> ${link.inside}`);
      } else w.out.push(path);
    }
  }
}

function realPrefixOf(root: string): string {
  let real: string;
  try {
    real = realpathSync(root || sep);
  } catch {
    real = root || sep;
  }
  return real.endsWith(sep) ? real : `${real}${sep}`;
}

/** Recursively list regular files (and symlinks to files inside the root) under `root`, sorted by path. */
export function walkTree(root: string, options: WalkOptions = {}): string[] {
  const base = resolve(root).replace(/[\\/]+$/, '');
  const w: Walk = { root: base, realPrefix: realPrefixOf(base), out: [], excludeDirs: options.excludeDirs?.size ? options.excludeDirs : undefined, notes: options.notes ?? emptyNotes() };
  visit(w, '');
  return w.out.sort();
}

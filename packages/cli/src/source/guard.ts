/**
 * What the CLI refuses to upload, decided before anything is hashed or sent:
 * - a source folder that is, is inside, or holds a folder of credentials: `~/.aws`, `~/.ssh`,
 *   `~/.config/gcloud` and `$HANGAR_HOME` (the CLI's own login). Decided from paths alone: the
 *   CLI never opens, lists or even resolves anything under `~/.aws` (the canary test watches every
 *   path it touches). `$HANGAR_HOME` inside the source folder is left out of the upload rather
 *   than refused (CI often keeps it in the workspace);
 * - a source folder holding AWS's `credentials` or `config` file at its root (a copy of `~/.aws`,
 *   or `~/.aws` reached through a link with another name);
 * - links to files outside the source folder (found by the walk, never followed);
 * - paths no package can hold (the manifest rules shared with the engine).
 */
import { closeSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { HangarError, invalidPathReason, printablePath } from '@hangar/core';
import type { WalkNotes } from './walk.js';

export interface SourceGuard {
  /** Folders inside the source (POSIX, relative) to leave out, with what they are. */
  readonly excludeDirs: ReadonlyMap<string, string>;
}

export interface GuardPlaces {
  /** The user's home folder (HOME), for ~/.aws, ~/.ssh and ~/.config/gcloud. */
  readonly home: string;
  /** `$HANGAR_HOME` (default ~/.hangar). */
  readonly hangarHome: string;
}

/** AWS's shared files are named exactly this; only these names are ever looked at. */
const AWS_FILE_NAMES = ['credentials', 'config'] as const;
/** How much of such a file is read: the first section header or key shows the shape. */
const PEEK_BYTES = 4096;
// An INI section AWS uses ([profile x], [sso-session x]) or a key that holds a secret or runs one.
const AWS_SHAPE = /^[ \t]*(\[[ \t]*(profile|sso-session)[ \t]+[^\]\n]+\]|(aws_access_key_id|aws_secret_access_key|aws_session_token|credential_process)[ \t]*=)/im;

function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

function refuse(field: string, root: string, why: string): never {
  throw new HangarError('CLI_SOURCE_REFUSED', `${field} (${root}) ${why}. The CLI never uploads credentials: the engine deploys with the role of a provider your organisation registered. Point ${field} at the folder with your function's code; nothing was uploaded.`, { details: { root } });
}

/**
 * Is `credentials`/`config` at the root an AWS file? Reading its first bytes is acceptable here,
 * unlike anywhere under ~/.aws: the file is inside the folder the user asked to upload, so the
 * upload would read all of it a moment later, and it is opened only when named like AWS's files.
 * Deciding from the name alone would refuse any project with an unrelated file called `config`.
 * A link is looked through only when its target is inside the root too (a link out of the root
 * is refused by the walk without being read).
 */
function awsShaped(realRoot: string, name: string): boolean {
  const path = join(realRoot, name);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path); // ENOENT, or ENOTDIR when the root is a file (checkFolder says so next)
  } catch {
    return false;
  }
  let file = path;
  if (st.isSymbolicLink()) {
    file = realOrResolved(path);
    if (!isInside(file, realRoot)) return false;
  } else if (!st.isFile()) {
    return false;
  }
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(PEEK_BYTES);
    const n = readSync(fd, buf, 0, PEEK_BYTES, 0);
    return AWS_SHAPE.test(buf.subarray(0, n).toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Refuses a source folder of credentials; returns the folders to leave out of it. */
export function checkSourceRoot(root: string, places: GuardPlaces, field = 'inputs.src'): SourceGuard {
  // The home folder is resolved (a link such as /home -> /usr/home), never anything inside ~/.aws.
  const homes = [...new Set([resolve(places.home), realOrResolved(places.home)])];
  const credentialDirs: Array<[string, string]> = homes.flatMap((h) => [
    ['~/.aws', join(h, '.aws')], ['~/.ssh', join(h, '.ssh')], ['~/.config/gcloud', join(h, '.config', 'gcloud')],
  ] as Array<[string, string]>);
  const hangarHomes = [...new Set([resolve(places.hangarHome), realOrResolved(places.hangarHome)])];
  const check = (path: string, shown: string): void => {
    for (const [label, dir] of [...credentialDirs, ...hangarHomes.map((d): [string, string] => ['$HANGAR_HOME', d])]) {
      if (path === dir) refuse(field, shown, `is ${label}, a folder of credentials`);
      if (isInside(path, dir)) refuse(field, shown, `is inside ${label} (${dir}), a folder of credentials`);
    }
    for (const [label, dir] of credentialDirs) {
      if (isInside(dir, path)) refuse(field, shown, `holds ${label} (${dir}), a folder of credentials`);
    }
  };
  // By its path first, so a root written as ~/.aws is refused without the CLI touching it at all;
  // then by its real path, for a link with another name that leads there.
  const resolved = resolve(root);
  check(resolved, root);
  const real = realOrResolved(resolved);
  if (real !== resolved) check(real, `${root}, really ${real}`);
  const shown = real === resolved ? root : `${root}, really ${real}`;
  for (const name of AWS_FILE_NAMES) {
    if (awsShaped(real, name)) refuse(field, shown, `holds \`${name}\`, an AWS ${name} file (it has [profile ...] sections or aws_* keys)`);
  }
  const excludeDirs = new Map<string, string>();
  for (const dir of hangarHomes) {
    if (isInside(dir, real)) excludeDirs.set(relative(real, dir).split(sep).join('/'), '$HANGAR_HOME, the CLI\'s login');
  }
  return { excludeDirs };
}

function list(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Links out of the source folder: refused, all named at once, none of them read. */
export function refuseOutsideLinks(notes: WalkNotes, root: string, field = 'inputs.src'): void {
  const links = notes.outsideLinks;
  if (links.length === 0) return;
  const shown = links.map((l) => `${printablePath(l.path)} -> ${l.target}`);
  throw new HangarError('CLI_SOURCE_LINK_OUTSIDE', `${field} (${root}) has ${links.length === 1 ? 'a symbolic link' : `${links.length} symbolic links`} to files outside it: ${list(shown)}. The CLI never follows a link out of the source folder (it could upload a file such as ~/.aws/credentials). Replace the link with a copy of the file, or build into inputs.src.dist with a hook that copies it; nothing was uploaded.`, {
    details: { links: links.map((l) => l.path) },
  });
}

/**
 * The path rules the engine applies, checked before anything is sent. Not the "file and folder"
 * rule: a file system cannot hold "x" as a file beside "x/y", so a walked tree never breaks it
 * (the engine still checks whole manifests).
 */
export function checkSourcePaths(paths: Iterable<string>, root: string): void {
  for (const p of paths) {
    const reason = invalidPathReason(p);
    if (reason) throw new HangarError('SOURCE_PATH_INVALID', `The source file ${printablePath(p)} in ${root} ${reason}; rename it (or move it out of the source folder) and deploy again.`, { details: { path: p, rule: reason } });
  }
}

/** One line per kind of thing left out, for the deploy to print once. */
export function describeLeftOut(notes: WalkNotes, guard: SourceGuard | undefined): string[] {
  const lines: string[] = [];
  const env = notes.envFiles;
  if (env.length > 0) lines.push(`excluded ${env.length} .env file${env.length === 1 ? '' : 's'}: ${list(env.map((p) => printablePath(p).slice(1, -1)))} (never uploaded: they hold secrets)`);
  for (const d of notes.excludedDirs) lines.push(`excluded ${d}/: it is ${guard?.excludeDirs.get(d) ?? 'not to be uploaded'}`);
  return lines;
}

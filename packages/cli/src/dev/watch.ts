/**
 * What `hangar dev` watches: the source folder (`inputs.src`, or `inputs.src.src` when a build
 * hook makes the uploaded `dist`), minus what the source cache never uploads (`.git`, `.hangar`,
 * `.env*`, folders it excludes such as `$HANGAR_HOME`), minus the hook's output (it changes
 * because of the deploy, not the developer) and minus `node_modules`: a package install changes
 * thousands of files there, and announces itself through `package.json` and the lockfiles, which
 * are watched (npm's own `node_modules/.package-lock.json` too). The deploy that follows hashes
 * the whole tree, `node_modules` included, so installed packages are uploaded then.
 */
import { relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { isSkippedDir, isSkippedFile } from '../source/walk.js';

export interface WatchPlan {
  /** The folder to watch. */
  readonly root: string;
  /** Absolute folders under `root` never to report (excluded by the source cache, or the hook's dist). */
  readonly ignoredDirs: readonly string[];
}

/** Editors' swap and backup files: written around every save, never the code itself. */
function isEditorTemp(name: string): boolean {
  return name.endsWith('.swp') || name.endsWith('.swx') || name.endsWith('~') || name === '4913' || name.startsWith('.#');
}

/** True for a path (absolute) whose changes `hangar dev` does not redeploy for. */
export function createIgnore(plan: WatchPlan): (path: string) => boolean {
  const root = resolve(plan.root);
  const dirs = plan.ignoredDirs.map((d) => resolve(d)).filter((d) => d !== root);
  return (path) => {
    const abs = resolve(path);
    if (dirs.some((d) => abs === d || abs.startsWith(`${d}${sep}`))) return true;
    const rel = relative(root, abs);
    if (rel === '' ) return false;
    if (rel.startsWith('..')) return true;
    const parts = rel.split(sep);
    const name = parts[parts.length - 1]!;
    if (isSkippedFile(name) || isEditorTemp(name)) return true;
    for (let i = 0; i < parts.length - 1; i++) {
      if (isSkippedDir(parts[i]!)) return true;
      // node_modules itself is watched for npm's hidden lockfile; nothing else inside it is.
      if (parts[i] === 'node_modules') return !(i === parts.length - 2 && name === '.package-lock.json');
    }
    return isSkippedDir(name);
  };
}

export interface SourceWatcher {
  close(): Promise<void>;
}

/**
 * Watch `plan.root`; `onChange` gets each changed, added or removed path (absolute). Resolves
 * once the initial scan is done, so a save after it is seen.
 */
export async function watchSource(plan: WatchPlan, onChange: (path: string) => void, onError: (e: unknown) => void): Promise<SourceWatcher> {
  const ignore = createIgnore(plan);
  const watcher = watch(plan.root, { ignored: (p) => ignore(p), ignoreInitial: true, persistent: true });
  watcher.on('all', (event, path) => {
    if (event === 'addDir') return; // an empty folder uploads nothing; its files come as `add`
    onChange(path);
  });
  watcher.on('error', onError);
  await new Promise<void>((ready) => watcher.once('ready', () => ready()));
  return { close: () => watcher.close() };
}

/**
 * Frees deleted layer versions' files in the background. DeleteLayerVersion (and a function
 * leaving a deleted version) only hand the folder here and answer; the folder and the stored
 * copies only it held go later, one folder at a time, and only when nothing references the
 * folder any more: no layer version (not deleted) and no function's `/opt`. The check is made
 * when the folder's turn comes, so a function still using a deleted version keeps it (AWS keeps a
 * deleted version usable by the functions that reference it), and is dropped again when it
 * stops using it.
 *
 * The freeing itself (`remove`: the folder, and the stored copies only it held) is a job of the
 * unpacking worker, which runs its jobs one at a time: a content freed here while a later
 * PublishLayerVersion links the same content is safe, the two never interleave (see code.ts,
 * `createCodeUnpacker`). The worker's synchronous calls also keep the freeing of a 5,000-file
 * layer off this event loop and out of libuv's thread pool.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface SweeperDeps {
  readonly codeRoot: () => Promise<string>;
  /** Removes a package folder (absolute) and the stored copies only it held: `CodeUnpacker.remove`. */
  readonly remove: (dir: string) => Promise<void>;
  /** Whether a layer version or a function still uses `dir` (relative to the code root). */
  readonly inUse: (dir: string) => boolean;
  /** Where a failed removal is reported (the folder is tried again at the next start: `dropUnused`). */
  readonly log?: (line: string) => void;
  /**
   * How long the sweep waits after the last drop before starting (default 1 s): a deploy's next
   * calls and the first requests to its new code go first. `idle()` starts it at once.
   */
  readonly quietMs?: number;
}

export interface Sweeper {
  /** Queues `dir` (relative to the code root): removed with its stored files once nothing uses it. */
  drop(dir: string): void;
  /** Queues every layer version folder on disk that nothing uses (left by a stop mid-sweep). */
  dropUnused(): Promise<void>;
  /** Resolves when the queue is empty (tests, and the service's close). */
  idle(): Promise<void>;
  /** Folders removed, and folders skipped because something still used them. */
  readonly stats: { removed: number; kept: number };
}

export function createSweeper(deps: SweeperDeps): Sweeper {
  const stats = { removed: 0, kept: 0 };
  /** Dropped folders waiting for the sweep, in order. */
  const queued = new Set<string>();
  let chain: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  async function sweep(dir: string): Promise<void> {
    if (deps.inUse(dir)) {
      stats.kept++;
      return;
    }
    try {
      await deps.remove(join(await deps.codeRoot(), dir));
      stats.removed++;
    } catch (e) {
      deps.log?.(`lambda: could not free ${dir}: ${(e as Error).message}`);
    }
  }

  /** Sweeps what is queued now, one folder after the other (chained after any sweep under way). */
  function start() {
    clearTimeout(timer);
    timer = undefined;
    const dirs = [...queued];
    queued.clear();
    for (const dir of dirs) chain = chain.then(() => sweep(dir));
  }

  const sweeper: Sweeper = {
    stats,
    drop(dir) {
      queued.add(dir);
      clearTimeout(timer);
      timer = setTimeout(start, deps.quietMs ?? 1000);
      timer.unref();
    },
    async dropUnused() {
      const layersRoot = join(await deps.codeRoot(), 'layers');
      for (const account of await entries(layersRoot)) {
        for (const region of await entries(join(layersRoot, account))) {
          for (const name of await entries(join(layersRoot, account, region))) {
            for (const version of await entries(join(layersRoot, account, region, name))) {
              const dir = join('layers', account, region, name, version);
              if (!deps.inUse(dir)) sweeper.drop(dir);
            }
          }
        }
      }
    },
    async idle() {
      if (queued.size) start();
      let seen: Promise<void> | undefined;
      while (seen !== chain) {
        seen = chain;
        await chain;
      }
    },
  };
  return sweeper;
}

/** The sub-folders of `dir` (none when it does not exist). */
async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

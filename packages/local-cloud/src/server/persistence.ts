/**
 * The data dir: one JSON document written atomically (temp file + rename), debounced after
 * changes and flushed on stop. Without a data dir nothing is written.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Persistence {
  load(): unknown;
  changed(): void;
  flush(): void;
}

const DEBOUNCE_MS = 100;

export function createPersistence(dataDir: string | undefined, collect: () => unknown, onError: (e: unknown) => void): Persistence {
  const file = dataDir ? join(dataDir, 'state.json') : undefined;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;

  function write(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!file || !dataDir || !dirty) return;
    dirty = false;
    mkdirSync(dataDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    // The state holds secret keys (as AWS's own stores do): readable by its owner only.
    writeFileSync(tmp, JSON.stringify(collect()), { mode: 0o600 });
    renameSync(tmp, file);
  }

  return {
    load() {
      if (!file) return undefined;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`The local cloud's state file ${file} is not valid JSON; move it away to start empty.`);
      }
    },
    changed() {
      if (!file) return;
      dirty = true;
      if (!timer) {
        timer = setTimeout(() => {
          try {
            write();
          } catch (e) {
            onError(e);
          }
        }, DEBOUNCE_MS);
      }
    },
    flush: write,
  };
}

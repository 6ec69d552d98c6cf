import SqliteDatabase from 'better-sqlite3';

/**
 * The filesystem blob store keeps blobs up to this size as rows of one SQLite file in its folder,
 * larger ones as files. A first upload is thousands of small files: as files, each costs an inode,
 * a temp name and a rename (and, with the two-level folders, most a new folder too), which this
 * disk took 2-2.8 s for the small bench app's 4,621 blobs while it was busy; as rows, in one
 * transaction per group, 150-250 ms (measured side by side). SQLite's own guidance puts the point
 * where reading a blob from a file overtakes reading it from the database near 100 KB.
 */
export const SMALL_BLOB_BYTES = 128 * 1024;

/** The file in the store's folder holding the small blobs. */
export const SMALL_BLOBS_FILE = 'small-blobs.sqlite';

/**
 * One connection to a store's small-blob file. WAL: readers (the event loop) never wait for the
 * writer thread, and a write waits at most `timeout` for another. synchronous NORMAL: a commit
 * survives a crash of the process, not always a power cut, as the files did (never fsynced).
 */
export interface SmallBlobs {
  has(sha256: string): boolean;
  /** Of `hashes`, those held: one query for the lot (a `has` each cost 10-100 µs right after a large upload). */
  heldAmong(hashes: readonly string[]): Set<string>;
  get(sha256: string): Buffer | undefined;
  /** Stores each blob not held yet, all in one transaction. */
  putAll(blobs: Iterable<{ readonly sha256: string; readonly bytes: Uint8Array }>): void;
  delete(sha256: string): void;
  /**
   * Gives at most `pages` pages freed by deletes back to the filesystem (incremental auto-vacuum) and
   * answers how many free pages are left. A file made before this existed keeps its pages for reuse
   * and answers 0: turning auto-vacuum on there takes a whole VACUUM, a rewrite of the file.
   */
  reclaim(pages: number): number;
  /** Every hash held, in no particular order (tests, tools; reads the whole index). */
  list(): string[];
  close(): void;
}

export function openSmallBlobs(file: string): SmallBlobs {
  const db = new SqliteDatabase(file, { timeout: 10_000 });
  // Without auto-vacuum the file never shrinks: deleted blobs' pages are only reused. SQLite lets a
  // file choose it only before its first table, so a new file takes INCREMENTAL (pages are given
  // back when reclaim asks, not at every commit).
  if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
  const incremental = db.pragma('auto_vacuum', { simple: true }) === 2;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table if not exists blobs (sha256 text primary key, bytes blob not null) without rowid');
  // The table's own b-tree holds each row's bytes beside its key, so a presence check through the
  // primary key walks pages full of blob bytes: 12,000 checks took 0.9 s, on the event loop, while
  // the engine packaged the large bench app (cpu profile). This index holds only the hashes (~1 MB
  // for 12,000): the same checks take 25-40 ms. A file written before it existed gets it here, once.
  db.exec('create index if not exists blobs_held on blobs (sha256)');
  const has = db.prepare<[string], { one: number }>('select 1 as one from blobs indexed by blobs_held where sha256 = ?').pluck();
  const get = db.prepare<[string], Buffer>('select bytes from blobs where sha256 = ?').pluck();
  const insert = db.prepare<[string, Uint8Array]>('insert into blobs (sha256, bytes) values (?, ?) on conflict (sha256) do nothing');
  const remove = db.prepare<[string]>('delete from blobs where sha256 = ?');
  const list = db.prepare<[], string>('select sha256 from blobs').pluck();
  const among = db.prepare<[string], string>('select sha256 from blobs indexed by blobs_held where sha256 in (select value from json_each(?))').pluck();
  const putAll = db.transaction((blobs: Iterable<{ readonly sha256: string; readonly bytes: Uint8Array }>) => {
    for (const b of blobs) insert.run(b.sha256, b.bytes);
  });
  return {
    has: (sha256) => has.get(sha256) !== undefined,
    heldAmong: (hashes) => new Set(hashes.length === 0 ? [] : among.all(JSON.stringify(hashes))),
    get: (sha256) => get.get(sha256),
    putAll: (blobs) => putAll(blobs),
    delete: (sha256) => void remove.run(sha256),
    reclaim: (pages) => {
      if (!incremental) return 0;
      db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
      const left = db.pragma('freelist_count', { simple: true }) as number;
      // In WAL mode the file is truncated when a checkpoint copies the last frames back; PASSIVE
      // never waits for the writer thread's connection (the next automatic one finishes the job).
      if (left === 0) db.pragma('wal_checkpoint(PASSIVE)');
      return left;
    },
    list: () => list.all(),
    close: () => db.close(),
  };
}

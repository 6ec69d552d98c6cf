import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { openSmallBlobs } from './small-blobs.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'hangar-small-blobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a file written before the hashes-only index gets it on open; presence checks go through it', () => {
  const file = join(dir, 'earlier.sqlite');
  const blobs = Array.from({ length: 20 }, (_, i) => randomBytes(100 + i * 500)).map((bytes) => ({ sha256: sha(bytes), bytes }));
  // The layout of the version before the index: the table alone.
  const old = new SqliteDatabase(file);
  old.exec('create table blobs (sha256 text primary key, bytes blob not null) without rowid');
  const insert = old.prepare('insert into blobs (sha256, bytes) values (?, ?)');
  for (const b of blobs) insert.run(b.sha256, b.bytes);
  old.close();

  const small = openSmallBlobs(file);
  try {
    // The presence queries name the index (INDEXED BY): without it they would fail, not scan.
    const absent = sha(Buffer.from('never stored'));
    assert.deepEqual(small.heldAmong([absent, ...blobs.map((b) => b.sha256)]), new Set(blobs.map((b) => b.sha256)));
    assert.equal(small.has(blobs[3]!.sha256), true);
    assert.equal(small.has(absent), false);
    assert.deepEqual(small.get(blobs[7]!.sha256), blobs[7]!.bytes);
    // Rows stored from now on are in the index too.
    const more = randomBytes(64);
    small.putAll([{ sha256: sha(more), bytes: more }]);
    assert.deepEqual(small.heldAmong([sha(more)]), new Set([sha(more)]));
    small.delete(sha(more));
    assert.equal(small.has(sha(more)), false);
  } finally {
    small.close();
  }
  const check = new SqliteDatabase(file, { readonly: true });
  const plan = check.prepare("explain query plan select 1 from blobs indexed by blobs_held where sha256 = 'x'").all() as { detail: string }[];
  check.close();
  assert.match(plan.map((r) => r.detail).join(' '), /COVERING INDEX blobs_held/);
});

test('a new file gives the pages of deleted blobs back (reclaim): the file shrinks, what is kept still reads', () => {
  const file = join(dir, 'reclaim.sqlite');
  const small = openSmallBlobs(file);
  const blobs = Array.from({ length: 300 }, () => randomBytes(16 * 1024)).map((bytes) => ({ sha256: sha(bytes), bytes }));
  const pages = () => {
    const db = new SqliteDatabase(file, { readonly: true });
    try {
      return { count: db.pragma('page_count', { simple: true }) as number, free: db.pragma('freelist_count', { simple: true }) as number, mode: db.pragma('auto_vacuum', { simple: true }) };
    } finally {
      db.close();
    }
  };
  try {
    small.putAll(blobs);
    const full = pages();
    assert.equal(full.mode, 2, 'auto_vacuum INCREMENTAL');
    for (const b of blobs.slice(0, 250)) small.delete(b.sha256);
    const deleted = pages();
    assert.equal(deleted.count, full.count, 'a delete alone only frees pages for reuse');
    assert.ok(deleted.free > 900, `free pages after deleting 250 x 16 KB: ${deleted.free}`);
    // A little at a time: each call frees at most what it is asked to.
    assert.equal(small.reclaim(100), deleted.free - 100);
    let left = deleted.free - 100;
    while (left > 0) left = small.reclaim(256);
    const after = pages();
    assert.equal(after.free, 0);
    assert.ok(after.count < full.count / 4, `pages ${full.count} -> ${after.count}`);
    for (const b of blobs.slice(250)) assert.deepEqual(small.get(b.sha256), b.bytes);
    assert.equal(small.has(blobs[0]!.sha256), false);
  } finally {
    small.close();
  }
});

test('a file made without auto-vacuum keeps its free pages for reuse: reclaim answers 0 and changes nothing', () => {
  const file = join(dir, 'legacy.sqlite');
  const old = new SqliteDatabase(file);
  old.exec('create table blobs (sha256 text primary key, bytes blob not null) without rowid');
  old.close();
  const small = openSmallBlobs(file);
  try {
    const bytes = randomBytes(32 * 1024);
    small.putAll([{ sha256: sha(bytes), bytes }]);
    small.delete(sha(bytes));
    assert.equal(small.reclaim(1000), 0);
    assert.equal(small.has(sha(bytes)), false);
  } finally {
    small.close();
  }
});

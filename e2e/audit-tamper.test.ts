/**
 * Issue 8, point 6, end to end with the `hangar` binary and the embedded engine: a real deploy
 * writes its audit trail (the credentials intent before the issuance), `hangar audit export`
 * keeps a copy, and then someone with write access to the SQLite file rewrites an event and
 * re-chains every later hash, deletes the newest events, or replaces a checkpoint.
 * `hangar audit verify --against` the copy catches each one, names it, and exits non-zero.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { eventHash, type AuditExport } from '@hangar/core/audit';
import { startEmbedded, type Embedded } from '@hangar/local';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

interface Row { org_id: string; seq: number; id: string; ts: string; kind: string; actor: string; subject: string | null; data: string; prev_hash: string; hash: string }

describe('the audit trail survives a database rewrite, end to end', { timeout: 240_000 }, () => {
  let work: string;
  let embedded: Embedded;
  let dbFile: string;
  const engineLog: string[] = [];

  const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const r = await run(process.execPath, [cliBin, ...args], {
        cwd: join(work, 'project'),
        env: { PATH: process.env.PATH ?? '', HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home', '.hangar'), HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken! },
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
    }
  };
  /** Runs `fn` on the engine's SQLite file from another connection, then puts every audit row back. */
  const tampered = async (fn: (db: Database.Database) => void, check: () => Promise<void>) => {
    const db = new Database(dbFile);
    const saved = ['audit_events', 'audit_heads', 'audit_checkpoints'].map((t) => [t, db.prepare(`select * from ${t}`).all() as Record<string, unknown>[]] as const);
    try {
      db.transaction(() => fn(db))();
      await check();
    } finally {
      db.transaction(() => {
        for (const [t, rows] of saved) {
          db.prepare(`delete from ${t}`).run();
          for (const r of rows) db.prepare(`insert into ${t} (${Object.keys(r).join(', ')}) values (${Object.keys(r).map((k) => `@${k}`).join(', ')})`).run(r);
        }
      })();
      db.close();
    }
  };

  before(async () => {
    if (!existsSync(cliBin)) await run('npx', ['tsc', '-b', 'packages/cli'], { cwd: root });
    work = mkdtempSync(join(tmpdir(), 'hangar-e2e-audit-'));
    cpSync(join(root, 'examples/hello-http'), join(work, 'project'), { recursive: true });
    const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => engineLog.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), addSecret: () => {}, removeSecret: () => {}, child: () => logger };
    embedded = await startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, step: () => undefined, logger });
    dbFile = join(work, 'data', 'engine', 'hangar.db');
  });
  after(async () => {
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let exportFile: string;
  let doc: AuditExport;

  test('a deploy is audited intent first, and the export holds every event under a signed checkpoint', async () => {
    const d = await cli(['deploy', '--json']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal((JSON.parse(d.stdout) as { status: string }).status, 'succeeded');
    const e = await cli(['audit', 'export', '--out', 'before.json']);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /Exported \d+ events and \d+ signed checkpoints/);
    exportFile = join(work, 'project', 'before.json');
    doc = JSON.parse(readFileSync(exportFile, 'utf8')) as AuditExport;
    const kinds = doc.events.filter((x) => x.subject?.startsWith('deployment:')).map((x) => x.kind);
    assert.deepEqual(kinds, ['deployment.started', 'credentials.requested', 'credentials.issued', 'deployment.finished']);
    assert.equal(doc.checkpoints.at(-1)!.eventCount, doc.events.length);
    const ok = await cli(['audit', 'verify', '--against', 'before.json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Audit chain intact/);
  });

  test('an event rewritten with every later hash recomputed: named, exit 1', async () => {
    const issued = doc.events.find((x) => x.kind === 'credentials.issued')!;
    await tampered((db) => {
      const rows = db.prepare('select * from audit_events where seq >= ? order by seq').all(issued.seq) as Row[];
      let prev = (db.prepare('select hash from audit_events where seq = ?').get(issued.seq - 1) as { hash: string }).hash;
      for (const r of rows) {
        const data = r.seq === issued.seq ? r.data.replace(/hangar-dep_\w+/, 'hangar-dep_innocent') : r.data;
        const hash = eventHash({ orgId: r.org_id, seq: r.seq, id: r.id, ts: r.ts, kind: r.kind, actor: r.actor, subject: r.subject, data, prevHash: prev });
        db.prepare('update audit_events set data = ?, prev_hash = ?, hash = ? where org_id = ? and seq = ?').run(data, prev, hash, r.org_id, r.seq);
        prev = hash;
      }
      db.prepare('update audit_heads set hash = ?').run(prev);
    }, async () => {
      const r = await cli(['audit', 'verify', '--against', 'before.json']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`first bad event ${issued.seq} \\(${issued.id}\\): .*differs from the earlier export`));
      const plain = await cli(['audit', 'verify']);
      assert.equal(plain.code, 1, 'the signed checkpoint catches it even without the export');
      assert.match(plain.stderr, /rewritten and the chain recomputed/);
      assert.ok(engineLog.some((l) => l.startsWith('error the audit log no longer matches its newest signed checkpoint')), 'the engine refused to sign over the rewrite, and said so');
    });
  });

  test('the newest events deleted: named, exit 1', async () => {
    const total = doc.events.length;
    await tampered((db) => {
      db.prepare('delete from audit_events where seq > ?').run(total - 2);
      const last = db.prepare('select hash from audit_events where seq = ?').get(total - 2) as { hash: string };
      db.prepare('update audit_heads set seq = ?, hash = ?').run(total - 2, last.hash);
    }, async () => {
      const r = await cli(['audit', 'verify', '--against', 'before.json']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`first bad event ${total - 1} \\(aud_\\w+\\): .*removed`));
      assert.match(r.stderr, new RegExp(`events ${total - 1} to ${total} are missing \\(removed from the end of the log\\)`));
    });
  });

  test('a checkpoint replaced: named, exit 1', async () => {
    const last = doc.checkpoints.at(-1)!;
    await tampered((db) => {
      db.prepare('update audit_checkpoints set ts = ? where id = ?').run('2020-01-01T00:00:00.000Z', last.id);
    }, async () => {
      const r = await cli(['audit', 'verify', '--against', 'before.json']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`first bad checkpoint ${last.seq} \\(${last.id}\\): .*signature that does not verify`));
      assert.match(r.stderr, new RegExp(`also: checkpoint ${last.seq} \\(${last.id}\\) differs from the earlier export \\(replaced\\)`));
    });
    const r = await cli(['audit', 'verify', '--against', 'before.json']);
    assert.equal(r.code, 0, `restored: ${r.stderr}`);
  });
});

import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Clock, Db, Logger } from '../types.js';
import type { BlobStore } from './blob-store.js';
import { decodeEntries } from './manifest-rules.js';
import { entryPath } from './zip-pool.js';
import { deflateSettings } from './zip.js';

export interface SourceGcDeps {
  readonly db: Db;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** `<dataDir>/packages`: built packages `<id>.zip` and compressed entries under `entries/`. */
  readonly packagesDir: string;
  /** Manifests of an instance's last this-many deployments are kept (HANGAR_BLOB_RETAIN_DEPLOYMENTS). */
  readonly retainDeployments: number;
  /** Manifests (and blobs) this young are kept even if no deployment used them yet: an upload on its way to a deploy. Default 24 h. */
  readonly graceMs?: number;
}

export interface SourceGcResult {
  readonly manifests: number;
  readonly blobs: number;
  readonly packages: number;
  readonly entries: number;
}

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * One garbage collection of the source cache. Kept: every manifest used by one of the last
 * `retainDeployments` deployments of any instance, and every manifest uploaded within the grace
 * period (not deployed yet); the blobs they list; their built packages and compressed entries.
 * Everything else is deleted: manifest rows, org_blobs rows, blobs, `<id>.zip` packages and
 * cached entries. A blob is deleted only when no kept manifest of any org lists it and it was
 * declared before the grace period, and the kept set is read again just before deleting, so an
 * upload racing the collection keeps what it refers to.
 */
export async function collectSourceGarbage(deps: SourceGcDeps): Promise<SourceGcResult> {
  const { db } = deps;
  const cutoff = new Date(deps.clock.now().getTime() - (deps.graceMs ?? 24 * 3600_000)).toISOString();

  // The last N deployments of each instance (ROW_NUMBER: SQLite 3.25+ and PostgreSQL).
  const ranked = db
    .selectFrom('deployments')
    .select(['manifest_id', sql<number>`row_number() over (partition by instance_id order by id desc)`.as('n')])
    .as('ranked');
  const deployed = await db.selectFrom(ranked).select('manifest_id').distinct().where('n', '<=', deps.retainDeployments).where('manifest_id', 'is not', null).execute();
  const keepIds = new Set(deployed.map((r) => r.manifest_id!));

  const keptBlobs = async (): Promise<Set<string>> => {
    const recent = await db.selectFrom('manifests').select('id').where('created_at', '>=', cutoff).execute();
    for (const r of recent) keepIds.add(r.id);
    const out = new Set<string>();
    for (const part of chunk([...keepIds], 200)) {
      const rows = await db.selectFrom('manifests').select('entries').where('id', 'in', part).execute();
      for (const r of rows) for (const e of decodeEntries(r.entries)) out.add(e.sha256);
    }
    return out;
  };

  // Manifests no kept deployment uses and older than the grace period.
  const all = await db.selectFrom('manifests').select(['id', 'org_id', 'created_at']).execute();
  const doomedManifests = all.filter((m) => !keepIds.has(m.id) && m.created_at < cutoff);
  for (const part of chunk(doomedManifests, 200)) {
    for (const m of part) await db.deleteFrom('manifests').where('org_id', '=', m.org_id).where('id', '=', m.id).where('created_at', '<', cutoff).execute();
  }

  const keep = await keptBlobs();
  const declared = await db.selectFrom('org_blobs').select(['org_id', 'sha256', 'created_at']).execute();
  const doomed = declared.filter((b) => !keep.has(b.sha256) && b.created_at < cutoff);
  // Read once more what the kept manifests list: one saved meanwhile (a delta on an old base) keeps its blobs.
  const keepNow = await keptBlobs();
  const rows = doomed.filter((b) => !keepNow.has(b.sha256));
  for (const b of rows) await db.deleteFrom('org_blobs').where('org_id', '=', b.org_id).where('sha256', '=', b.sha256).execute();
  const shas = [...new Set(rows.map((b) => b.sha256))];
  // Content-addressed and shared: the file goes only when no org still declares it.
  const stillDeclared = new Set<string>();
  for (const part of chunk(shas, 500)) {
    for (const r of await db.selectFrom('org_blobs').select('sha256').where('sha256', 'in', part).execute()) stillDeclared.add(r.sha256);
  }
  let blobs = 0;
  for (const sha of shas) {
    if (stillDeclared.has(sha)) continue;
    await deps.blobs.delete(sha);
    blobs++;
  }
  if (blobs > 0) await deps.blobs.compact?.();

  // Local caches: packages of manifests not kept, entries of blobs not kept.
  let packages = 0;
  let entries = 0;
  const names = await readdir(deps.packagesDir).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^([0-9a-f]{64})\.zip$/.exec(name);
    // A dependencies layer / app code part (`assembleLayered`) has an id of its own: kept while built within the grace period.
    if (m && !keepIds.has(m[1]!) && !(await builtSince(join(deps.packagesDir, name), cutoff))) {
      await unlink(join(deps.packagesDir, name)).catch(() => {});
      packages++;
    }
  }
  const entriesDir = join(deps.packagesDir, 'entries');
  // An entry deflated by another zlib (an older engine's, or fflate's before) is never read again.
  const settings = new Set(['store', deflateSettings()]);
  for (const sub of await readdir(entriesDir).catch(() => [] as string[])) {
    for (const name of await readdir(join(entriesDir, sub)).catch(() => [] as string[])) {
      const sha = /^([0-9a-f]{64})\./.exec(name)?.[1];
      const stale = sha !== undefined && !name.endsWith('.tmp') && !settings.has(name.slice(65));
      if (sha && (!keepNow.has(sha) || stale)) {
        await unlink(entryPath(entriesDir, name)).catch(() => {});
        entries++;
      }
    }
  }
  return { manifests: doomedManifests.length, blobs, packages, entries };
}

/** Runs `collectSourceGarbage` every `intervalMs` (unref'd); a failed run is logged and the next one tries again. */
export function startSourceGc(deps: SourceGcDeps & { readonly intervalMs: number; readonly logger: Logger }): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = collectSourceGarbage(deps)
      .then((r) => { if (r.manifests + r.blobs + r.packages + r.entries > 0) deps.logger.info('source cache garbage collected', { ...r }); })
      .catch((e: unknown) => deps.logger.warn('source cache garbage collection failed; it runs again at the next interval', { err: e }))
      .finally(() => { running = undefined; });
  };
  const timer = setInterval(tick, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

async function builtSince(file: string, cutoff: string): Promise<boolean> {
  try {
    return (await stat(file)).mtime.toISOString() >= cutoff;
  } catch {
    return false;
  }
}

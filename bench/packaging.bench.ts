/**
 * Packaging alone (a script, not a test): the engine's packager on the bench apps' trees (with
 * node_modules, as bench/deploy.bench.ts prepares them under bench/.work), cold (every file
 * compressed by the build), after compression on arrival (every blob handed to `precompress` as
 * the upload route does, then the build: it only copies), and after a one-file change (one file
 * compressed, the rest copied), in process, to separate packaging from the rest of a deploy.
 * Run after deploy.bench.ts:
 * Then the engine's path (--engine): the source cache on a real database, every blob through
 * putBlob as the upload route calls it (compressed on arrival), then the layered packages (code +
 * node_modules layer) the Lambda component asks for; and the same packages from a source cache
 * that did not see the upload (a cold build, e.g. after a restart).
 *   node --conditions=source --import tsx bench/packaging.bench.ts [--apps small,large] [--workers 2] [--engine]
 * Prints a markdown table (append it to bench/results/deploy.md by hand if wanted).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPackager, type Packager } from '../packages/engine/src/source/zip-pool.js';
import { createFsBlobStore } from '../packages/engine/src/source/blob-store.js';
import { createSourceCache } from '../packages/engine/src/source/source-cache.js';
import { createHarness } from '../packages/engine/src/deployments/_harness.js';
import { readEntries } from './_files.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const apps = arg('apps', 'small,large').split(',');
const workersArg = arg('workers', '');
/** The packager's own default (1 worker on 2 cores) unless --workers says. */
const workers = workersArg ? { workers: Number(workersArg) } : {};


async function main() {
  const rows: string[] = [];
  const startLoad = loadavg().map((x) => x.toFixed(1)).join(' / ');
  for (const app of apps) {
    const root = join(repo, 'bench', '.work', app);
    const { entries, bytesOf } = readEntries(root);
    const read = async (sha: string) => bytesOf.get(sha)!.slice();
    const dir = mkdtempSync(join(tmpdir(), 'hangar-pack-bench-'));
    try {
      let compressed = 0;
      const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
      const packager = createPackager({ entriesDir: join(dir, 'entries'), ...workers, onCompress: () => { compressed++; } });
      let c0 = cpu();
      let t = performance.now();
      const size = await packager.build(entries, read, join(dir, 'cold.zip'));
      const coldMs = performance.now() - t;
      const coldCpu = cpu() - c0;
      const coldCount = compressed;
      await packager.close();
      // Compression on arrival: every blob handed over as the upload route does (bytes held), then the build.
      compressed = 0;
      const arriving = createPackager({ entriesDir: join(dir, 'arrival'), ...workers, onCompress: () => { compressed++; } });
      c0 = cpu();
      t = performance.now();
      for (const e of entries) arriving.precompress(e, bytesOf.get(e.sha256)!, read);
      await arriving.idle();
      const backgroundMs = performance.now() - t;
      const backgroundCpu = cpu() - c0;
      const backgroundCount = compressed;
      compressed = 0;
      t = performance.now();
      await arriving.build(entries, read, join(dir, 'arrived.zip'));
      const arrivedMs = performance.now() - t;
      const arrivedCount = compressed;
      await arriving.close();
      compressed = 0;
      const again = createPackager({ entriesDir: join(dir, 'entries'), ...workers, onCompress: () => { compressed++; } });
      const changed = new TextEncoder().encode(`// changed ${Date.now()}\n`);
      const sha = createHash('sha256').update(changed).digest('hex');
      bytesOf.set(sha, changed);
      const next = entries.map((e, i) => (i === 0 ? { ...e, sha256: sha, size: changed.length } : e));
      t = performance.now();
      await again.build(next, read, join(dir, 'one.zip'), { file: join(dir, 'cold.zip'), entries });
      const oneMs = performance.now() - t;
      await again.close();
      rows.push(`| ${app} | ${entries.length} | ${(size / 1048576).toFixed(1)} MB | ${coldMs.toFixed(0)} ms, CPU ${coldCpu.toFixed(0)} ms (${coldCount} compressed) | ${backgroundMs.toFixed(0)} ms, CPU ${backgroundCpu.toFixed(0)} ms (${backgroundCount} compressed) | ${arrivedMs.toFixed(0)} ms (${arrivedCount} compressed) | ${oneMs.toFixed(0)} ms (${compressed} compressed) |`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const engineRows: string[] = [];
  if (process.argv.includes('--engine')) {
    for (const app of apps) engineRows.push(await throughSourceCache(app));
  }
  process.stdout.write([
    `Packaging alone, in process, ${workersArg || 'default'} worker thread(s) (load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end; started at ${startLoad}):`, '',
    '| app | files | zip | cold build (every file compressed by the build) | compression on arrival (background, every blob) | then the build | after a one-file change (built on the previous package) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows, '',
    ...(engineRows.length ? [
      'Through the source cache (sqlite), layered packages (code + node_modules layer):', '',
      '| app | files uploaded | without compression on arrival: putBlob of every blob | then both packages | with compression on arrival: putBlob of every blob | then both packages |',
      '| --- | ---: | ---: | ---: | ---: | ---: |', ...engineRows, '',
    ] : []),
  ].join('\n'));
}

async function throughSourceCache(app: string): Promise<string> {
  const root = join(repo, 'bench', '.work', app);
  const { entries, bytesOf } = readEntries(root);
  const h = await createHarness({ start: false });
  try {
    const limits = { maxFiles: 50_000, maxTotalBytes: 512 * 1024 * 1024, maxFileBytes: 100 * 1024 * 1024, maxManifestEntries: 20_000 };
    /** One org's upload (manifest, then every blob through putBlob) and the layered packages after it. */
    const run = async (org: string, name: string, arrival: boolean) => {
      const count = { build: 0, background: 0 };
      const real = createPackager({ entriesDir: join(h.dataDir, name, 'entries'), ...workers, onCompress: (_s, _p, origin) => { count[origin]++; } });
      const packager: Packager = arrival ? real : { ...real, precompress() {} };
      const cache = createSourceCache({ db: h.store.db, blobs: createFsBlobStore(join(h.dataDir, name, 'blobs')), clock: { now: () => new Date() }, limits, packagesDir: join(h.dataDir, name), packager });
      const up = await cache.upload(org, { kind: 'full', entries });
      let t = performance.now();
      for (const sha of up.missing) await cache.putBlob(org, sha, bytesOf.get(sha)!);
      const uploadMs = performance.now() - t;
      const background = count.background;
      t = performance.now();
      const layered = await cache.assembleLayered(up.manifestId);
      await layered.deps?.zip();
      await layered.code.zip();
      const buildMs = performance.now() - t;
      await cache.close();
      return { files: up.missing.length, uploadMs, background, buildMs, built: count.build };
    };
    // Without first (its blob store and packages are its own): a cold build after the upload.
    const without = await run(h.orgB, 'without', false);
    const withArrival = await run(h.orgA, 'arrival', true);
    return `| ${app} | ${withArrival.files} | ${without.uploadMs.toFixed(0)} ms | ${without.buildMs.toFixed(0)} ms (${without.built} compressed) | ${withArrival.uploadMs.toFixed(0)} ms (${withArrival.background} compressed meanwhile) | ${withArrival.buildMs.toFixed(0)} ms (${withArrival.built} compressed by the build) |`;
  } finally {
    await h.close();
  }
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });

/**
 * Packaging alone (a script, not a test): the engine's packager on the bench apps' trees (with
 * node_modules, as bench/deploy.bench.ts prepares them under bench/.work), cold (every file
 * compressed by the build), after compression on arrival (every blob handed to `precompress` as
 * the upload route does, then the build: it only copies), and after a one-file change (one file
 * compressed, the rest copied), in process, to separate packaging from the rest of a deploy.
 * Run after deploy.bench.ts:
 *   node --conditions=source --import tsx bench/packaging.bench.ts [--apps small,large] [--workers 2]
 * Prints a markdown table (append it to bench/results/deploy.md by hand if wanted).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ManifestEntry } from '@hangar/core';
import { createPackager } from '../packages/engine/src/source/zip-pool.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const apps = arg('apps', 'small,large').split(',');
const workers = Number(arg('workers', '2'));

function list(dir: string, rel = '', out: string[] = []): string[] {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) list(join(dir, d.name), p, out);
    else if (d.isFile()) out.push(p);
  }
  return out;
}

async function main() {
  const rows: string[] = [];
  const startLoad = loadavg().map((x) => x.toFixed(1)).join(' / ');
  for (const app of apps) {
    const root = join(repo, 'bench', '.work', app);
    const bytesOf = new Map<string, Uint8Array>();
    const entries: ManifestEntry[] = list(root).map((p) => {
      const b = new Uint8Array(readFileSync(join(root, p)));
      const sha = createHash('sha256').update(b).digest('hex');
      bytesOf.set(sha, b);
      return { path: p, sha256: sha, size: b.length, mode: statSync(join(root, p)).mode & 0o777 };
    });
    const read = async (sha: string) => bytesOf.get(sha)!.slice();
    const dir = mkdtempSync(join(tmpdir(), 'hangar-pack-bench-'));
    try {
      let compressed = 0;
      const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
      const packager = createPackager({ entriesDir: join(dir, 'entries'), workers, onCompress: () => { compressed++; } });
      let c0 = cpu();
      let t = performance.now();
      const size = await packager.build(entries, read, join(dir, 'cold.zip'));
      const coldMs = performance.now() - t;
      const coldCpu = cpu() - c0;
      const coldCount = compressed;
      await packager.close();
      // Compression on arrival: every blob handed over as the upload route does (bytes held), then the build.
      compressed = 0;
      const arriving = createPackager({ entriesDir: join(dir, 'arrival'), workers, onCompress: () => { compressed++; } });
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
      const again = createPackager({ entriesDir: join(dir, 'entries'), workers, onCompress: () => { compressed++; } });
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
  process.stdout.write([
    `Packaging alone, in process, ${workers} worker thread(s) (load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')} at the end; started at ${startLoad}):`, '',
    '| app | files | zip | cold build (every file compressed by the build) | compression on arrival (background, every blob) | then the build | after a one-file change (built on the previous package) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows, '',
  ].join('\n'));
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });

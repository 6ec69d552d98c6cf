/**
 * Inline vs staged upload of a dependencies layer (a script, not a test): the http-function
 * component publishes one app's node_modules layer to an in-process local cloud, once with the
 * zip sent inline (ZipFile, base64 in the JSON body) and once streamed from its file through the
 * deployment bucket (PutObject, then S3Bucket/S3Key), each in a fresh process so the kernel's
 * peak RSS (VmHWM) is that upload's alone. The layer zip is built first by the engine's packager
 * from `bench/.work/<app>/node_modules` (prepared by deploy.bench.ts). Run from the repo root:
 *   node --conditions=source --import tsx bench/staging.bench.ts [--app large]
 * Prints a markdown table; the process's event-loop delay (engine side and local cloud share it,
 * as in `hangar up`) is reported beside the memory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ManifestEntry } from '@hangar/core';
import { createPackager } from '../packages/engine/src/source/zip-pool.js';
import { createHttpFunction } from '../packages/components/src/http-function/component.js';
import { destroyHttpFunctionClients, createHttpFunctionClients, type HttpFunctionClients } from '../packages/components/src/http-function/clients.js';
import { startCloudWithAccount } from '../packages/components/src/internal/local-cloud-testing.js';
import { validateInputs } from '../packages/components/src/sdk/validate.js';
import { splitDependencies } from '../packages/engine/src/source/source-cache.js';
import { listFiles } from './_files.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };


const hwm = {
  reset(): void { try { writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux */ } },
  read(): number { const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')); return m ? Number(m[1]) * 1024 : 0; },
};
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

/** One upload in this process: prints a JSON line with the measures. */
async function child(mode: 'inline' | 'staged', zipFile: string): Promise<void> {
  const { cloud, credentials } = await startCloudWithAccount('444444444444');
  const made: HttpFunctionClients[] = [];
  const size = statSync(zipFile).size;
  const component = createHttpFunction({
    maxWaitSeconds: 120,
    createClients: (ctx) => { const c = createHttpFunctionClients(ctx); made.push(c); return c; },
    // Inline: a threshold above the zip; staged: the component's default.
    ...(mode === 'inline' ? { limits: { directUploadBytes: 50 * 1024 * 1024, unzippedBytes: 250 * 1024 * 1024, stagingBytes: Number.MAX_SAFE_INTEGER } } : {}),
  });
  const code = new TextEncoder().encode('exports.handler = async () => ({ statusCode: 200, body: "ok" });\n');
  const { zipSync } = await import('fflate');
  const codeZip = zipSync({ 'index.js': code });
  let zipCalls = 0;
  const source = {
    manifestId: 'bench',
    zip: async () => { throw new Error('layered'); },
    layered: async () => ({
      code: { id: 'code-bench', unzippedBytes: code.length, zip: async () => codeZip },
      deps: {
        id: `deps-${mode}`, unzippedBytes: 0,
        zip: async () => { zipCalls++; return new Uint8Array(readFileSync(zipFile)); },
        file: async () => ({ size, stream: () => createReadStream(zipFile) }),
      },
    }),
  };
  const ctx = { credentials, region: 'us-east-1', endpoint: cloud.endpoint, instance: { orgId: 'o', appId: 'a', app: 'bench', stage: 'dev', name: mode, instanceId: `inst_${mode}` }, state: {}, log: { info() {}, warn() {}, error() {} }, source };
  const inputs = validateInputs(component, { src: '.', handler: 'index.handler' });
  if (global.gc) global.gc();
  const before = process.memoryUsage().rss;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  hwm.reset();
  delay.enable();
  const t0 = performance.now();
  const out = await component.deploy(inputs, ctx);
  const wall = performance.now() - t0;
  delay.disable();
  const peak = hwm.read();
  const res = await fetch(out.outputs.url as string);
  process.stdout.write(`${JSON.stringify({ mode, size, before, peak, wall, zipCalls, status: res.status, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 })}\n`);
  for (const c of made) destroyHttpFunctionClients(c);
  await cloud.stop();
}

async function main(): Promise<void> {
  const mode = arg('mode', '');
  if (mode === 'inline' || mode === 'staged') return child(mode, arg('zip', ''));
  const app = arg('app', 'large');
  const root = join(repo, 'bench', '.work', app);
  const paths = listFiles(join(root, 'node_modules')).map((p) => `node_modules/${p}`);
  const bytesOf = new Map<string, Uint8Array>();
  const entries: ManifestEntry[] = paths.map((p) => {
    const b = new Uint8Array(readFileSync(join(root, p)));
    const sha = createHash('sha256').update(b).digest('hex');
    bytesOf.set(sha, b);
    return { path: p, sha256: sha, size: b.length, mode: 0o644 };
  });
  const { deps } = splitDependencies(entries);
  const dir = mkdtempSync(join(tmpdir(), 'hangar-staging-bench-'));
  try {
    const packager = createPackager({ entriesDir: join(dir, 'entries') });
    const zip = join(dir, 'deps.zip');
    await packager.build(deps, async (sha) => bytesOf.get(sha)!.slice(), zip);
    bytesOf.clear();
    const load = loadavg().map((l) => l.toFixed(2)).join(' / ');
    const rows: string[] = [];
    for (const m of ['inline', 'staged']) {
      const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--mode', m, '--zip', zip], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 20 });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as { mode: string; size: number; before: number; peak: number; wall: number; zipCalls: number; status: number; p99: number; max: number };
      rows.push(`| ${app} | ${r.mode} | ${mb(r.size)} (${deps.length} files) | ${mb(r.before)} | ${mb(r.peak)} (+${mb(r.peak - r.before)}) | ${r.zipCalls} | ${r.wall.toFixed(0)} ms | p99 ${r.p99.toFixed(0)} / max ${r.max.toFixed(0)} ms | HTTP ${r.status} |`);
    }
    console.log(`Load at start ${load}, at end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}.\n`);
    console.log('| app | layer upload | layer zip | RSS before | kernel peak (VmHWM) | zip read whole | deploy | event-loop delay | function |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |');
    for (const r of rows) console.log(r);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });

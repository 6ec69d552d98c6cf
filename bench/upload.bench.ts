/**
 * Blob upload alone (a script, not a test): a first upload of a bench app's tree (with
 * node_modules, as bench/deploy.bench.ts prepares it under bench/.work) to a fresh embedded engine
 * (the real engine and local cloud, `hangar up`, in this process), by the client in its own
 * process, three ways:
 *
 * - `put`: one authenticated PUT /blobs/:sha256 per file, 8 in flight, each file read again from
 *   disk after hashing (the CLI before batched uploads);
 * - `batch`: POST /blobs batches (the CLI's uploadSource: 4 MiB / 500 files, 3 in flight), files
 *   read again from disk;
 * - `batch+kept`: the same with the bytes kept from the hash pass (what `hangar deploy` does).
 *
 *   node --conditions=source --import tsx bench/upload.bench.ts [--apps small] [--modes put,batch,batch+kept]
 *
 * Prints a markdown table (the load average is shown: the machine may be shared).
 */
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceUploadResponse } from '@hangar/core';
import { createEngineClient, type EngineClient } from '../packages/cli/src/engine-client.js';
import { hashTree } from '../packages/cli/src/source/hash-tree.js';
import { uploadSource } from '../packages/cli/src/source/upload.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };

interface ChildResult { mode: string; files: number; bytes: number; missing: number; hashMs: number; manifestMs: number; blobsMs: number; requests: number; sentBytes: number; clientCpuMs: number }

/** The client side, in its own process (as the CLI is). */
async function child(): Promise<void> {
  const env = (name: string): string => { const v = process.env[name]; if (v === undefined) throw new Error(`${name} is not set (the parent process sets it)`); return v; };
  const [url, token, root, mode] = [env('BENCH_URL'), env('BENCH_TOKEN'), env('BENCH_ROOT'), env('BENCH_MODE')];
  const base = createEngineClient({ url, token });
  const who = await base.json<{ orgs: { id: string }[] }>('GET', '/api/v1/whoami');
  const orgId = who.orgs[0]!.id;
  // Every request the upload makes is counted; the manifest's answer is timed.
  let requests = 0;
  let manifestAt = 0;
  const client: EngineClient = {
    ...base,
    call: async (method, path, input) => { requests++; const r = await base.call(method, path, input); if (path.endsWith('/sources')) manifestAt = performance.now(); return r; },
    json: async (method, path, body) => { requests++; const r = await base.json(method, path, body); if (path.endsWith('/sources')) manifestAt = performance.now(); return r as never; },
    callBytes: (...a) => { requests++; return base.callBytes(...a); },
    putBytes: (...a) => { requests++; return base.putBytes(...a); },
  };
  let t = performance.now();
  const hashed = hashTree(root, mode === 'batch+kept' ? { keep: { maxFileBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 } } : {});
  const hashMs = performance.now() - t;
  const before = client.sentBytes();
  const cpu = process.cpuUsage();
  t = performance.now();
  let missing = 0;
  if (mode === 'put') {
    // The CLI's upload before batches (main at 9c0b5c9): manifest, then one PUT per missing blob, 8 in flight.
    const answer = await client.json<SourceUploadResponse>('POST', `/api/v1/orgs/${orgId}/sources`, { kind: 'full', entries: hashed.entries });
    const bySha = new Map(hashed.entries.map((e) => [e.sha256, e] as const));
    const queue = [...new Set(answer.missing)];
    missing = queue.length;
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const sha = queue[next++]!;
        await client.putBytes(`/api/v1/orgs/${orgId}/blobs/${sha}`, readFileSync(join(root, bySha.get(sha)!.path)));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  } else {
    await uploadSource({
      client, orgId, root, entries: hashed.entries, last: undefined,
      ...(mode === 'batch+kept' ? { kept: hashed.kept } : {}),
      onProgress: (text) => { const m = /^uploading (\d+) new file/.exec(text); if (m) missing = Number(m[1]); },
    });
  }
  const manifestMs = manifestAt - t;
  const total = performance.now() - t;
  const out: ChildResult = { mode, files: hashed.files, bytes: hashed.bytes, missing, hashMs, manifestMs, blobsMs: total - manifestMs, requests, sentBytes: client.sentBytes() - before, clientCpuMs: cpuMs(process.cpuUsage(cpu)) };
  process.send!(out);
}

async function main(): Promise<void> {
  const apps = arg('apps', 'small').split(',');
  const modes = arg('modes', 'put,batch,batch+kept').split(',');
  const { startEmbedded } = await import('@hangar/local');
  const rows: string[] = [];
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ');
  const loadStart = load();
  for (const app of apps) {
    const root = join(repo, 'bench', '.work', app);
    for (const mode of modes) {
      const dataDir = join(repo, 'bench', '.work', `upload-engine-${Date.now()}`);
      const e = await startEmbedded({ dataDir, port: 0, cloudPort: 0, step: () => undefined });
      try {
        const cpu = process.cpuUsage();
        const r = await new Promise<ChildResult>((resolve, reject) => {
          const c = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_UPLOAD_CHILD: '1', BENCH_URL: e.engineUrl, BENCH_TOKEN: e.ownerToken ?? '', BENCH_ROOT: root, BENCH_MODE: mode } });
          c.once('message', (m) => resolve(m as ChildResult));
          c.once('exit', (code) => { if (code !== 0) reject(new Error(`the client exited with ${code}`)); });
        });
        // The engine's process (and its threads) between the client's start and its answer: mostly the upload.
        const engineCpuMs = cpuMs(process.cpuUsage(cpu));
        const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
        rows.push(`| ${app} | ${mode} | ${r.files} | ${r.missing} (${mb(r.bytes)} tree) | ${Math.round(r.hashMs)} ms | ${Math.round(r.manifestMs)} ms | ${Math.round(r.blobsMs)} ms | ${Math.round(r.manifestMs + r.blobsMs)} ms | ${r.requests} | ${mb(r.sentBytes)} | ${Math.round(r.clientCpuMs)} ms | ${Math.round(engineCpuMs)} ms |`);
        console.error(rows.at(-1));
      } finally {
        await e.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
  console.log([
    `Blob upload to a fresh embedded engine; client in its own process. Load average ${loadStart} at start, ${load()} at end (1 / 5 / 15 min).`, '',
    '| app | mode | files | blobs missing | hashing | manifest (POST /sources) | blobs | upload (manifest + blobs) | requests | sent | client CPU (upload) | engine process CPU (client start to end) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n'));
}

if (process.env.BENCH_UPLOAD_CHILD === '1') await child();
else await main();

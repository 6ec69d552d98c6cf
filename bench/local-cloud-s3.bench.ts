/**
 * Local cloud S3 benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs local-cloud-s3        (options after --: --n 200)
 *
 * PutObject and GetObject of 1 MB through the unmodified SDK v3 S3 client (SigV4 verified, the
 * SDK's CRC32 checked, bytes streamed to and from files in a data dir), against a bare Node HTTP
 * round trip carrying the same megabyte (the floor). Sequential requests, medians after warm-up.
 * Writes bench/results/local-cloud-s3.json and .md (its own files, so other services' rows in
 * local-cloud.md are not rewritten).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createAccount, startLocalCloud } from '../packages/local-cloud/src/index.js';
import { s3Service } from '../packages/local-cloud/src/s3/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const N = Number(arg('n', '200'));
const WARM = 20;
const MB = Buffer.alloc(1024 * 1024, 7);
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };
const p90 = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.9)] as number; };
const r2 = (x: number): number => Math.round(x * 100) / 100;

async function time(n: number, run: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n + WARM; i++) {
    const t0 = performance.now();
    await run(i);
    if (i >= WARM) out.push(performance.now() - t0);
  }
  return out;
}

/** A bare Node server that takes a 1 MB PUT and answers a 1 MB GET: the floor. */
async function bareFloor(n: number): Promise<{ put: number[]; get: number[] }> {
  const server = createServer((req, res) => {
    if (req.method === 'PUT') {
      req.resume();
      req.on('end', () => res.end());
    } else res.end(MB);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const put = await time(n, async () => { await (await fetch(url, { method: 'PUT', body: MB })).arrayBuffer(); });
  const get = await time(n, async () => { await (await fetch(url)).arrayBuffer(); });
  await new Promise((r) => server.close(r));
  return { put, get };
}

async function main(): Promise<void> {
  const loadAtStart = r2(loadavg()[0] ?? 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-s3-'));
  const cloud = await startLocalCloud({ port: 0, dataDir, services: [s3Service], log: () => {} });
  try {
    const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
    const s3 = new S3Client({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: root, forcePathStyle: true, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    process.stderr.write(`PutObject/GetObject 1 MB: ${N} each\n`);
    const put = await time(N, async (i) => { await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: `obj-${i % 10}`, Body: MB })); });
    const get = await time(N, async (i) => {
      const r = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: `obj-${i % 10}` }));
      await r.Body!.transformToByteArray();
    });
    s3.destroy();
    const floor = await bareFloor(N);
    const results = {
      machine: {
        nproc: Number(execFileSync('nproc').toString().trim()), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version,
        date: new Date().toISOString(), dataDir: true, loadAverageAtStart1m: loadAtStart, loadAverage1m: r2(loadavg()[0] ?? 0),
      },
      runs: N,
      putObject1MB: { medianMs: r2(median(put)), p90Ms: r2(p90(put)) },
      getObject1MB: { medianMs: r2(median(get)), p90Ms: r2(p90(get)) },
      bareNodePut1MB: { medianMs: r2(median(floor.put)) },
      bareNodeGet1MB: { medianMs: r2(median(floor.get)) },
    };
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'local-cloud-s3.json'), `${JSON.stringify(results, null, 2)}\n`);
    const m = results.machine;
    writeFileSync(join(out, 'local-cloud-s3.md'), [
      '# Local cloud S3 benchmark',
      '',
      `Machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}, Node ${m.node}, ${m.date}. Cloud in process with a data dir.`,
      `Load average (1 min) at start / end: ${m.loadAverageAtStart1m} / ${m.loadAverage1m} — the machine is shared with other work; numbers taken under load are inflated.`,
      `Run: \`node scripts/bench.mjs local-cloud-s3\`. ${N} sequential requests each through the SDK v3 S3 client (path-style), medians after ${WARM} warm-up requests.`,
      '',
      '| measure | median | p90 |',
      '| --- | --- | --- |',
      `| PutObject 1 MB (SigV4, SDK CRC32 and SHA-256 verified, written to a file) | ${results.putObject1MB.medianMs} ms | ${results.putObject1MB.p90Ms} ms |`,
      `| GetObject 1 MB (streamed from the file) | ${results.getObject1MB.medianMs} ms | ${results.getObject1MB.p90Ms} ms |`,
      `| bare Node HTTP round trip, 1 MB PUT (floor) | ${results.bareNodePut1MB.medianMs} ms | |`,
      `| bare Node HTTP round trip, 1 MB GET (floor) | ${results.bareNodeGet1MB.medianMs} ms | |`,
      '',
    ].join('\n'));
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});

/**
 * Local cloud: PublishLayerVersion of a large layer and what it costs the event loop (a script,
 * not a test). Run from the repo root:
 *   node --expose-gc --conditions=source --import tsx bench/lambda-unzip.bench.ts [--dir bench/.work/large/node_modules] [--runs 2] [--dist]
 * `--dist` runs the built cloud (packages/local-cloud/dist, after `npx tsc -b`), as `hangar up` does;
 * from the sources the unpacking worker first loads tsx, which costs this thread ~0.5 s once.
 * `--from <dir>` takes the cloud from another build (e.g. main's dist, for a before/after).
 * `--s3` uploads the zip to the cloud's S3 first (not measured) and publishes it with
 * `Content.S3Bucket/S3Key`: the request is then small and the cloud reads the object itself.
 *
 * The layer is every file under `--dir` zipped (fflate, level 6) as `nodejs/node_modules/...`, as
 * the engine's dependencies layer is. The cloud runs in this process with a data dir, as `hangar up`
 * runs it next to the engine; the request is signed before the measurement starts and sent with
 * node:http, so what the event loop does during the call is the cloud's work (reading the body,
 * SigV4, JSON, base64, unpacking). Run 1 stores every file (empty store); later runs publish the
 * same zip again as new versions (every content already stored: links only).
 * Reports per run: call wall time, the process's CPU time during it (all threads), event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms
 * resolution) and the longest gap seen by a 1 ms timer, and the load average. Also the main-thread
 * costs that stay on the event loop: JSON.parse of the body, base64 decode, sha256 of the body.
 * Prints a markdown table to stdout; writes nothing.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { zipSync, type Zippable } from 'fflate';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const DIR = arg('dir', 'bench/.work/large/node_modules');
const RUNS = Number(arg('runs', '2'));
const VIA_S3 = process.argv.includes('--s3');
const from = process.argv.includes('--dist') ? '../packages/local-cloud/dist' : arg('from', '../packages/local-cloud/src');
const { createAccount } = await import(`${from}/index.js`) as typeof import('../packages/local-cloud/src/index.js');
const { ACCOUNT, REGION, startCompute } = await import(`${from}/lambda/test-support.js`) as typeof import('../packages/local-cloud/src/lambda/test-support.js');
const r1 = (x: number) => Math.round(x * 10) / 10;
const log = (s: string) => process.stderr.write(`${s}\n`);

type Data = string | ArrayBuffer | ArrayBufferView;
const buf = (d: Data) => (typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));
/** node:crypto for the signer (sha256, or HMAC with a secret), much faster than pure JS on a 17 MB body. */
class NodeSha256 {
  private hash;
  constructor(secret?: Data) { this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', buf(secret)); }
  update(d: Data) { this.hash.update(buf(d)); }
  async digest() { return new Uint8Array(this.hash.digest()); }
  reset() { throw new Error('not supported'); }
}

function layerZip(dir: string): { zip: Uint8Array; files: number; bytes: number } {
  const tree: Zippable = {};
  let files = 0;
  let bytes = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const data = readFileSync(p);
        tree[`nodejs/node_modules/${relative(dir, p)}`] = data;
        files++;
        bytes += data.length;
      }
    }
  };
  walk(dir);
  return { zip: zipSync(tree, { level: 6 }), files, bytes };
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

async function main() {
  if (!existsSync(DIR)) throw new Error(`${DIR} does not exist: copy a bench app with node_modules into bench/.work (see bench/deploy.bench.ts) or pass --dir`);
  const { zip, files, bytes } = layerZip(DIR);
  log(`layer: ${files} files, ${(bytes / 1e6).toFixed(1)} MB unzipped, ${(zip.length / 1e6).toFixed(1)} MB zipped`);
  const b64 = Buffer.from(zip).toString('base64');
  const bodyText = JSON.stringify({ Content: { ZipFile: b64 }, CompatibleRuntimes: ['nodejs20.x'] });
  const inlineBody = Buffer.from(bodyText);
  const body = VIA_S3 ? Buffer.from(JSON.stringify({ Content: { S3Bucket: 'bench-code', S3Key: 'layer.zip' }, CompatibleRuntimes: ['nodejs20.x'] })) : inlineBody;

  // What stays on the event loop in any case (best of 3 each).
  const best = (f: () => unknown) => Math.min(...[0, 1, 2].map(() => timed(f)[1]));
  const costs = {
    utf8: best(() => body.toString('utf8')),
    jsonParse: best(() => JSON.parse(bodyText)),
    base64: best(() => Buffer.from(b64, 'base64')),
    sha256: best(() => createHash('sha256').update(inlineBody).digest('hex')),
  };

  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-unzip-'));
  const cloud = await startCompute(dataDir);
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: ACCOUNT });
  const url = new URL(cloud.endpoint);
  const signer = new SignatureV4({ credentials: root, region: REGION, service: 'lambda', sha256: NodeSha256 });
  const rows: string[] = [];
  try {
    if (VIA_S3) {
      const s3 = new S3Client({ endpoint: cloud.endpoint, region: REGION, credentials: root, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'bench-code' }));
      await s3.send(new PutObjectCommand({ Bucket: 'bench-code', Key: 'layer.zip', Body: zip }));
      s3.destroy();
    }
    const send = async (path: string, payload: Buffer) => {
      const signed = await signer.sign(new HttpRequest({
        method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path,
        headers: { host: url.host, 'content-type': 'application/json' }, body: payload,
      }));
      return () => new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: url.hostname, port: url.port, method: 'POST', path: signed.path, headers: { ...signed.headers, 'content-length': String(payload.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(payload);
      });
    };
    // Not measured: one small publish that starts the cloud's unpacking worker (when it has one:
    // a first large zip would start it), so the runs measure the unpacking, not a thread's start.
    const warm = Buffer.from(JSON.stringify({ Content: { ZipFile: Buffer.from(zipSync({ 'nodejs/x.bin': randomBytes(96 * 1024) }, { level: 0 })).toString('base64') } }));
    const warmed = await (await send('/2018-10-31/layers/bench-warm/versions', warm))();
    if (warmed.status !== 201) throw new Error(`warm-up PublishLayerVersion answered ${warmed.status}: ${warmed.text.slice(0, 300)}`);
    for (let run = 1; run <= RUNS; run++) {
      const call = await send('/2018-10-31/layers/bench-deps/versions', body);
      // This script's own garbage (the zip, the body, the cost measurements above) is collected
      // before the call when run with --expose-gc, so a collection during it is the cloud's.
      (globalThis as { gc?: () => void }).gc?.();
      const load = loadavg()[0] ?? 0;
      const h = monitorEventLoopDelay({ resolution: 1 });
      let ticks = 0;
      let maxGap = 0;
      let last = performance.now();
      let ticking = true;
      const tick = () => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
        if (ticking) setTimeout(tick, 1);
      };
      setTimeout(tick, 1);
      h.enable();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const answer = await call();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      h.disable();
      ticking = false;
      if (answer.status !== 201) throw new Error(`PublishLayerVersion answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      const v = JSON.parse(answer.text) as { Version: number; Content: { CodeSha256: string } };
      const ms = (ns: number) => r1(ns / 1e6);
      const row = `| ${run} (${run === 1 ? 'empty store: every file written' : 'same zip again: every file linked'}) | ${Math.round(wall)} ms | ${Math.round(cpu.user / 1000)} + ${Math.round(cpu.system / 1000)} ms | ${ms(h.percentile(50))} / ${ms(h.percentile(99))} / ${ms(h.max)} ms | ${r1(maxGap)} ms | ${ticks} | ${load.toFixed(2)} → ${(loadavg()[0] ?? 0).toFixed(2)} |`;
      rows.push(row);
      log(`run ${run}: version ${v.Version}, ${Math.round(wall)} ms, loop delay p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms, longest timer gap ${r1(maxGap)} ms`);
    }
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const out = [
    `PublishLayerVersion of ${files} files (${(bytes / 1e6).toFixed(1)} MB unzipped, ${(zip.length / 1e6).toFixed(1)} MB zipped, ${VIA_S3 ? 'from S3' : 'inline'}: ${(body.length / 1e6).toFixed(2)} MB JSON body), cloud from ${from.replace('../', '')} in process, Node ${process.version}.`,
    '',
    '| run | call | process CPU during the call (user + system, every thread) | event-loop delay p50 / p99 / max | longest 1 ms-timer gap | timer ticks during the call | load (1 min) before → after |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- |',
    ...rows,
    '',
    `Main-thread costs of the inline body (best of 3): utf8 decode ${r1(costs.utf8)} ms, JSON.parse ${r1(costs.jsonParse)} ms, base64 decode ${r1(costs.base64)} ms, sha256 (SigV4 payload) ${r1(costs.sha256)} ms.`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();

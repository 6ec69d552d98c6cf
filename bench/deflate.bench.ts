/**
 * Deflate alone (a script, not a test): fflate's deflateSync (level 6, the JS CRC-32) against
 * Node's zlib (deflateRawSync / async deflateRaw on libuv's pool, level 6, zlib.crc32) over every
 * file of the bench apps (bench/.work/<app>, as bench/deploy.bench.ts prepares them), files read
 * into memory first. Time (CPU time of this process too) and total output size per method.
 *   node --conditions=source --import tsx bench/deflate.bench.ts [--apps small,large] [--runs 3]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { deflateSync } from 'fflate';
import { crc32 as jsCrc32, methodFor } from '../packages/engine/src/source/zip.js';
import { listFiles } from './_files.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const apps = arg('apps', 'small,large').split(',');
const runs = Number(arg('runs', '3'));
const deflateRaw = promisify(zlib.deflateRaw);


type Method = { name: string; run(files: Uint8Array[]): Promise<number> };
const methods: Method[] = [
  { name: 'fflate level 6 + JS crc32 (current)', async run(files) { let n = 0; for (const f of files) { jsCrc32(f); n += deflateSync(f, { level: 6 }).length; } return n; } },
  { name: 'zlib.deflateRawSync level 6 + zlib.crc32', async run(files) { let n = 0; for (const f of files) { zlib.crc32(f); n += zlib.deflateRawSync(f, { level: 6 }).length; } return n; } },
  ...[2, 4].map((par) => ({
    name: `zlib.deflateRaw (async, libuv pool) level 6, ${par} in flight + zlib.crc32`,
    async run(files: Uint8Array[]) {
      let n = 0;
      let next = 0;
      await Promise.all(Array.from({ length: par }, async () => {
        while (next < files.length) {
          const f = files[next++]!;
          zlib.crc32(f);
          const d = await deflateRaw(f, { level: 6 });
          n += d.length;
        }
      }));
      return n;
    },
  })),
  { name: 'JS crc32 alone', async run(files) { for (const f of files) jsCrc32(f); return 0; } },
  { name: 'zlib.crc32 alone', async run(files) { for (const f of files) zlib.crc32(f); return 0; } },
];

async function main() {
  const out: string[] = [
    `Deflate alone, files in memory, median of ${runs} (Node ${process.version}, zlib ${process.versions.zlib}, ${cpus().length} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')} at start):`, '',
    '| app | files deflated | bytes in | method | wall | CPU (process) | bytes out |', '| --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const app of apps) {
    const root = join(repo, 'bench', '.work', app);
    const files = listFiles(root).filter((p) => methodFor(p) === 'deflate').map((p) => new Uint8Array(readFileSync(join(root, p)))).filter((b) => b.length > 0);
    const bytesIn = files.reduce((n, f) => n + f.length, 0);
    for (const m of methods) {
      const walls: number[] = [];
      const cpu: number[] = [];
      let size = 0;
      for (let r = 0; r < runs; r++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        size = await m.run(files);
        walls.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      out.push(`| ${app} | ${files.length} | ${(bytesIn / 1048576).toFixed(1)} MB | ${m.name} | ${med(walls).toFixed(0)} ms | ${med(cpu).toFixed(0)} ms | ${size ? `${(size / 1048576).toFixed(2)} MB (${size} B)` : '-'} |`);
      process.stderr.write(`${out.at(-1)}\n`);
    }
  }
  out.push('', `load average at end ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`, '');
  process.stdout.write(out.join('\n'));
}

main().catch((e: unknown) => { process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; });

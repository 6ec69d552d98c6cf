/**
 * lib-storage uploads 64 MB in parts to the cloud running as its own process (the real binary),
 * whose resident memory is sampled throughout: bodies are streamed to files, never held whole.
 * The object then survives a restart on the same data dir.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createAccount } from '../index.js';
import { s3 } from './test-support.js';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

type Child = ChildProcessByStdio<null, Readable, Readable>;

function start(dataDir: string): Promise<{ child: Child; endpoint: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', bin, '--port', '0', '--data-dir', dataDir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^endpoint: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) resolve({ child, endpoint: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`the cloud exited (${String(code)}) before printing its endpoint`)));
    setTimeout(() => reject(new Error('no endpoint within 60 s')), 60_000).unref();
  });
}

function stop(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const rssBytes = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** 64 MB produced 1 MB at a time (never whole on the client either), hashed as it goes. */
function source(hash: ReturnType<typeof createHash>): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < SIZE / MiB; i++) {
      const chunk = Buffer.alloc(MiB, i % 251);
      chunk.writeUInt32BE(i, 0);
      hash.update(chunk);
      yield chunk;
    }
  })());
}

describe('S3 memory stays bounded', { skip: process.platform !== 'linux' ? 'reads /proc for the RSS' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-s3-mem-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lib-storage uploads 64 MB in parts; the cloud\'s RSS grows far less than the object', { timeout: 300_000 }, async () => {
    let { child, endpoint } = await start(dir);
    try {
      // The cloud's admin token is in its data dir.
      const root = await createAccount(endpoint, { adminToken: readFileSync(join(dir, 'admin-token'), 'utf8').trim(), accountId: '111111111111' });
      const c = s3(endpoint, root, { maxAttempts: 3 });
      await c.send(new CreateBucketCommand({ Bucket: 'memory-bucket' }));
      // Warm the code paths (and the JIT) before taking the baseline.
      await c.send(new PutObjectCommand({ Bucket: 'memory-bucket', Key: 'warm', Body: Buffer.alloc(MiB) }));
      await (await c.send(new GetObjectCommand({ Bucket: 'memory-bucket', Key: 'warm' }))).Body!.transformToByteArray();
      const baseline = rssBytes(child.pid!);
      let peak = baseline;
      const sampler = setInterval(() => {
        try {
          peak = Math.max(peak, rssBytes(child.pid!));
        } catch {
          // the process is gone; the test fails elsewhere
        }
      }, 20);
      const sent = createHash('md5');
      let etag: string | undefined;
      let downloaded: string;
      try {
        const upload = new Upload({ client: c, params: { Bucket: 'memory-bucket', Key: 'big/64mb.bin', Body: source(sent) }, partSize: 8 * MiB, queueSize: 4 });
        const done = await upload.done();
        etag = done.ETag;
        const got = await c.send(new GetObjectCommand({ Bucket: 'memory-bucket', Key: 'big/64mb.bin' }));
        assert.equal(got.ContentLength, SIZE);
        const back = createHash('md5');
        for await (const chunk of got.Body as Readable) back.update(chunk as Buffer);
        downloaded = back.digest('hex');
      } finally {
        clearInterval(sampler);
      }
      assert.match(etag ?? '', /^"[0-9a-f]{32}-8"$/, 'eight 8 MiB parts');
      assert.equal(downloaded, sent.digest('hex'), 'the object comes back byte for byte');
      const growth = peak - baseline;
      // Holding the object would cost 64 MB or more. Streaming 128 MB through the process leaves
      // garbage the collector reclaims lazily: about 32 MB measured on a 2-core machine, the same
      // with 5 MiB x 1, 8 MiB x 4, 16 MiB x 4 and 32 MiB x 2 parts in flight (so it is not parts
      // held in memory). A generous bound, still under the object's size.
      assert.ok(growth < 48 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB (baseline ${(baseline / MiB).toFixed(1)} MiB)`);

      // The object survives a restart on the same data dir.
      await stop(child);
      ({ child, endpoint } = await start(dir));
      const again = await s3(endpoint, root).send(new HeadObjectCommand({ Bucket: 'memory-bucket', Key: 'big/64mb.bin' }));
      assert.equal(again.ETag, etag);
      assert.equal(again.ContentLength, SIZE);
    } finally {
      await stop(child);
    }
  });
});

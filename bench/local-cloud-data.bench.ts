/**
 * Local cloud data-plane benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs local-cloud-data        (options after --: --n 200)
 *
 * Through the unmodified SDK v3 clients (SigV4 verified on every request):
 * - S3 PutObject and GetObject of 1 MB (the SDK's CRC32 checked, bytes streamed to and from files);
 * - DynamoDB PutItem, GetItem, and a Query returning 100 items (one partition, sort-key order);
 * against a bare Node HTTP round trip (the floor: the same megabyte for S3, a small JSON body for
 * DynamoDB). Sequential requests, medians after warm-up. Writes bench/results/local-cloud-data.json
 * and the "Data plane" section of bench/results/local-cloud.md (between its markers; the rest of
 * that file is local-cloud.bench.ts's).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { createAccount, startLocalCloud } from '../packages/local-cloud/src/index.js';

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

/** A bare Node server answering a small JSON POST with a small JSON body: the floor for DynamoDB calls. */
async function bareJsonFloor(n: number): Promise<number[]> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.setHeader('content-type', 'application/x-amz-json-1.0'); res.end('{"Item":{"pk":{"S":"a"}}}'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const body = JSON.stringify({ TableName: 'bench', Key: { pk: { S: 'a' }, sk: { N: '1' } } });
  const t = await time(n, async () => { await (await fetch(url, { method: 'POST', body })).arrayBuffer(); });
  await new Promise((r) => server.close(r));
  return t;
}

/** The "Data plane" section of local-cloud.md is this bench's; the rest of the file is local-cloud.bench.ts's. */
export const DATA_START = '<!-- data-plane:start (bench/local-cloud-data.bench.ts) -->';
export const DATA_END = '<!-- data-plane:end -->';
function writeSection(file: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Local cloud benchmark\n';
  const block = `${DATA_START}\n${section}${DATA_END}\n`;
  const i = current.indexOf(DATA_START);
  const j = current.indexOf(DATA_END);
  const next = i >= 0 && j > i ? current.slice(0, i) + block + current.slice(j + DATA_END.length + 1) : `${current.replace(/\n*$/, '\n\n')}${block}`;
  writeFileSync(file, next);
}

async function main(): Promise<void> {
  const loadAtStart = r2(loadavg()[0] ?? 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-s3-'));
  const cloud = await startLocalCloud({ port: 0, dataDir, log: () => {} });
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

    const ddb = new DynamoDBClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: root, maxAttempts: 1 });
    await ddb.send(new CreateTableCommand({
      TableName: 'bench', BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 1 }, { TableName: 'bench' });
    for (let i = 0; i < 100; i++) {
      await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: 'q' }, sk: { N: String(i) }, title: { S: `item ${i}` }, done: { BOOL: i % 2 === 0 } } }));
    }
    process.stderr.write(`PutItem, GetItem, Query of 100 items: ${N} each\n`);
    const putItem = await time(N, async (i) => { await ddb.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: 'p' }, sk: { N: String(i % 50) }, title: { S: 'a todo' }, done: { BOOL: false } } })); });
    const getItem = await time(N, async (i) => { await ddb.send(new GetItemCommand({ TableName: 'bench', Key: { pk: { S: 'p' }, sk: { N: String(i % 50) } } })); });
    const query = await time(N, async () => {
      const r = await ddb.send(new QueryCommand({ TableName: 'bench', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } } }));
      if (r.Count !== 100) throw new Error(`Query returned ${r.Count} items, expected 100`);
    });
    ddb.destroy();
    const floor = await bareFloor(N);
    const jsonFloor = await bareJsonFloor(N);
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
      putItem: { medianMs: r2(median(putItem)), p90Ms: r2(p90(putItem)) },
      getItem: { medianMs: r2(median(getItem)), p90Ms: r2(p90(getItem)) },
      query100: { medianMs: r2(median(query)), p90Ms: r2(p90(query)) },
      bareNodeSmallJson: { medianMs: r2(median(jsonFloor)) },
    };
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'local-cloud-data.json'), `${JSON.stringify(results, null, 2)}\n`);
    const m = results.machine;
    writeSection(join(out, 'local-cloud.md'), [
      '## Data plane: S3 and DynamoDB',
      '',
      `Machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}, Node ${m.node}, ${m.date}. Cloud in process with a data dir.`,
      `Load average (1 min) at start / end: ${m.loadAverageAtStart1m} / ${m.loadAverage1m} — the machine is shared; numbers taken under load are inflated.`,
      `Run: \`node scripts/bench.mjs local-cloud-data\`. ${N} sequential requests each through the SDK v3 clients, medians after ${WARM} warm-up requests.`,
      '',
      '| measure | median | p90 | floor (bare Node HTTP round trip) |',
      '| --- | --- | --- | --- |',
      `| S3 PutObject 1 MB (SigV4, SDK CRC32 and SHA-256 verified, written to a file) | ${results.putObject1MB.medianMs} ms | ${results.putObject1MB.p90Ms} ms | ${results.bareNodePut1MB.medianMs} ms (1 MB PUT) |`,
      `| S3 GetObject 1 MB (streamed from the file) | ${results.getObject1MB.medianMs} ms | ${results.getObject1MB.p90Ms} ms | ${results.bareNodeGet1MB.medianMs} ms (1 MB GET) |`,
      `| DynamoDB PutItem (small item) | ${results.putItem.medianMs} ms | ${results.putItem.p90Ms} ms | ${results.bareNodeSmallJson.medianMs} ms (small JSON POST) |`,
      `| DynamoDB GetItem | ${results.getItem.medianMs} ms | ${results.getItem.p90Ms} ms | ${results.bareNodeSmallJson.medianMs} ms |`,
      `| DynamoDB Query returning 100 items | ${results.query100.medianMs} ms | ${results.query100.p90Ms} ms | ${results.bareNodeSmallJson.medianMs} ms |`,
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

/**
 * Local cloud DynamoDB benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs local-cloud-dynamodb        (options after --: --n 300)
 *
 * PutItem, GetItem and a Query of 100 items through the unmodified SDK v3 DynamoDB client (SigV4
 * verified, state in a data dir), against a bare Node HTTP round trip of a small JSON body (the
 * floor). Sequential requests, medians after warm-up. Writes bench/results/local-cloud-dynamodb.json
 * and .md (its own files, so other services' rows are not rewritten).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { createAccount, startLocalCloud } from '../packages/local-cloud/src/index.js';
import { dynamoDbService } from '../packages/local-cloud/src/dynamodb/index.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const N = Number(arg('n', '300'));
const WARM = 30;
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

async function bareFloor(n: number): Promise<number[]> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"Item":{"pk":{"S":"a"}}}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const out = await time(n, async () => { await (await fetch(url, { method: 'POST', body: '{"TableName":"bench","Key":{"pk":{"S":"a"}}}' })).text(); });
  await new Promise((r) => server.close(r));
  return out;
}

async function main(): Promise<void> {
  const loadAtStart = r2(loadavg()[0] ?? 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-ddb-'));
  const cloud = await startLocalCloud({ port: 0, dataDir, services: [dynamoDbService], log: () => {} });
  try {
    const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
    const c = new DynamoDBClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: root, maxAttempts: 1 });
    await c.send(new CreateTableCommand({
      TableName: 'bench', BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
    }));
    await waitUntilTableExists({ client: c, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: 'bench' });
    for (let i = 0; i < 100; i += 25) {
      await c.send(new BatchWriteItemCommand({ RequestItems: { bench: Array.from({ length: 25 }, (_, j) => ({ PutRequest: { Item: { pk: { S: 'q' }, sk: { N: String(i + j) }, body: { S: 'x'.repeat(200) } } } })) } }));
    }
    process.stderr.write(`PutItem/GetItem/Query 100: ${N} each\n`);
    const put = await time(N, async (i) => { await c.send(new PutItemCommand({ TableName: 'bench', Item: { pk: { S: `p${i % 50}` }, sk: { N: '1' }, body: { S: 'x'.repeat(200) } } })); });
    const get = await time(N, async (i) => { await c.send(new GetItemCommand({ TableName: 'bench', Key: { pk: { S: `p${i % 50}` }, sk: { N: '1' } } })); });
    const query = await time(N, async () => {
      const r = await c.send(new QueryCommand({ TableName: 'bench', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'q' } } }));
      if (r.Count !== 100) throw new Error(`expected 100 items, got ${String(r.Count)}`);
    });
    c.destroy();
    const floor = await bareFloor(N);
    const results = {
      machine: {
        nproc: Number(execFileSync('nproc').toString().trim()), cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version,
        date: new Date().toISOString(), dataDir: true, loadAverageAtStart1m: loadAtStart, loadAverage1m: r2(loadavg()[0] ?? 0),
      },
      runs: N,
      putItem: { medianMs: r2(median(put)), p90Ms: r2(p90(put)) },
      getItem: { medianMs: r2(median(get)), p90Ms: r2(p90(get)) },
      query100: { medianMs: r2(median(query)), p90Ms: r2(p90(query)) },
      bareNode: { medianMs: r2(median(floor)) },
    };
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'local-cloud-dynamodb.json'), `${JSON.stringify(results, null, 2)}\n`);
    const m = results.machine;
    writeFileSync(join(out, 'local-cloud-dynamodb.md'), [
      '# Local cloud DynamoDB benchmark',
      '',
      `Machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}, Node ${m.node}, ${m.date}. Cloud in process with a data dir.`,
      `Load average (1 min) at start / end: ${m.loadAverageAtStart1m} / ${m.loadAverage1m} — the machine is shared with other work; numbers taken under load are inflated.`,
      `Run: \`node scripts/bench.mjs local-cloud-dynamodb\`. ${N} sequential requests each through the SDK v3 DynamoDB client, medians after ${WARM} warm-up requests.`,
      '',
      '| measure | median | p90 |',
      '| --- | --- | --- |',
      `| PutItem (~220 bytes) | ${results.putItem.medianMs} ms | ${results.putItem.p90Ms} ms |`,
      `| GetItem | ${results.getItem.medianMs} ms | ${results.getItem.p90Ms} ms |`,
      `| Query of 100 items (~220 bytes each) | ${results.query100.medianMs} ms | ${results.query100.p90Ms} ms |`,
      `| bare Node HTTP round trip, small JSON POST (floor) | ${results.bareNode.medianMs} ms | |`,
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

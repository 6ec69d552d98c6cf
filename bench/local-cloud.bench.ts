/**
 * Local cloud benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs local-cloud        (or: node --conditions=source --import tsx bench/local-cloud.bench.ts [--n 500])
 *
 * 1. Warm request through an HTTP API (fetch -> execute-api -> Lambda sandbox -> response): total
 *    round trip vs the handler's own time (measured inside the handler); the difference is what the
 *    local cloud adds. Goal: median added < 3 ms. Floor for context: a bare Node HTTP round trip.
 * 2. Cold start: Invoke right after a configuration change (a new sandbox) vs a warm Invoke.
 * 3. STS AssumeRole round trip through the SDK (SigV4 verified, trust policy evaluated). Goal < 5 ms.
 * The cloud runs in this process with a data dir, as `hangar-cloud --data-dir` would.
 * Writes bench/results/local-cloud.json and local-cloud.md with the machine it ran on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateApiCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand } from '@aws-sdk/client-apigatewayv2';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand, CreateFunctionCommand, InvokeCommand, UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { createAccount } from '../packages/local-cloud/src/index.js';
import { ACCOUNT, REGION, clientsFor, destroyClients, startCompute, zipOf } from '../packages/local-cloud/src/lambda/test-support.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const N = Number(arg('n', '500'));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number; };
const p90 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length * 0.9)] as number; };
const r2 = (x: number) => Math.round(x * 100) / 100;
const log = (s: string) => process.stderr.write(`${s}\n`);

const HANDLER = `
export const handler = async (event) => {
  const t0 = performance.now();
  const body = JSON.stringify({ ok: true, path: event.rawPath });
  return { statusCode: 200, headers: { 'content-type': 'application/json', 'x-handler-ms': String(performance.now() - t0) }, body };
};
`;

async function bareHttpFloor(n: number): Promise<number[]> {
  const server = createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  const out: number[] = [];
  for (let i = 0; i < n + 30; i++) {
    const t0 = performance.now();
    await (await fetch(url)).text();
    if (i >= 30) out.push(performance.now() - t0);
  }
  await new Promise((r) => server.close(r));
  return out;
}

async function main() {
  const loadAtStart = r2(loadavg()[0] ?? 0);
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-cloud-'));
  const cloud = await startCompute(dataDir);
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: ACCOUNT });
  const c = clientsFor(cloud.endpoint, root);
  try {
    const role = await c.iam.send(new CreateRoleCommand({
      RoleName: 'bench-role',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
      ] }),
    }));
    const roleArn = role.Role?.Arn as string;
    const fn = await c.lambda.send(new CreateFunctionCommand({
      FunctionName: 'bench', Runtime: 'nodejs20.x', Role: roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.mjs': HANDLER }) },
    }));
    await waitUntilFunctionActiveV2({ client: c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'bench' });
    const api = await c.apigw.send(new CreateApiCommand({ Name: 'bench', ProtocolType: 'HTTP' }));
    const integ = await c.apigw.send(new CreateIntegrationCommand({ ApiId: api.ApiId, IntegrationType: 'AWS_PROXY', IntegrationUri: fn.FunctionArn, PayloadFormatVersion: '2.0' }));
    await c.apigw.send(new CreateRouteCommand({ ApiId: api.ApiId, RouteKey: 'ANY /{proxy+}', Target: `integrations/${integ.IntegrationId}` }));
    await c.apigw.send(new CreateStageCommand({ ApiId: api.ApiId, StageName: '$default', AutoDeploy: true }));
    await c.lambda.send(new AddPermissionCommand({
      FunctionName: 'bench', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com',
      SourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api.ApiId}/*/*`,
    }));

    // 1. Warm HTTP requests.
    const url = `${cloud.endpoint}/_aws/execute-api/${api.ApiId}/items/1`;
    const total: number[] = [];
    const handler: number[] = [];
    log(`warm HTTP: ${N} requests`);
    for (let i = 0; i < N + 30; i++) {
      const t0 = performance.now();
      const res = await fetch(url);
      await res.text();
      const dt = performance.now() - t0;
      if (res.status !== 200) throw new Error(`execute-api answered ${res.status}`);
      if (i >= 30) {
        total.push(dt);
        handler.push(Number(res.headers.get('x-handler-ms')));
      }
    }
    const added = total.map((t, i) => t - (handler[i] as number));
    const floor = await bareHttpFloor(Math.min(N, 300));

    // 2. Cold vs warm Invoke through the SDK.
    const warmInvoke: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      await c.lambda.send(new InvokeCommand({ FunctionName: 'bench', Payload: Buffer.from('{"rawPath":"/x"}') }));
      if (i >= 10) warmInvoke.push(performance.now() - t0);
    }
    const cold: number[] = [];
    const initDurations: number[] = [];
    log('cold starts: 10');
    for (let i = 0; i < 10; i++) {
      await c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'bench', Environment: { Variables: { RUN: String(i) } } }));
      await waitUntilFunctionUpdatedV2({ client: c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'bench' });
      const t0 = performance.now();
      const r = await c.lambda.send(new InvokeCommand({ FunctionName: 'bench', Payload: Buffer.from('{"rawPath":"/x"}'), LogType: 'Tail' }));
      cold.push(performance.now() - t0);
      const m = /Init Duration: ([\d.]+) ms/.exec(Buffer.from(r.LogResult ?? '', 'base64').toString('utf8'));
      if (m) initDurations.push(Number(m[1]));
    }

    // 3. AssumeRole round trips by an IAM user.
    await c.iam.send(new CreateUserCommand({ UserName: 'bench-user' }));
    await c.iam.send(new PutUserPolicyCommand({
      UserName: 'bench-user', PolicyName: 'assume',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roleArn }] }),
    }));
    const key = await c.iam.send(new CreateAccessKeyCommand({ UserName: 'bench-user' }));
    const sts = new STSClient({
      endpoint: cloud.endpoint, region: REGION, maxAttempts: 1,
      credentials: { accessKeyId: key.AccessKey?.AccessKeyId as string, secretAccessKey: key.AccessKey?.SecretAccessKey as string },
    });
    const assume: number[] = [];
    const callerId: number[] = [];
    log('AssumeRole: 300');
    for (let i = 0; i < 330; i++) {
      const t0 = performance.now();
      await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: `bench-${i}`, DurationSeconds: 900 }));
      if (i >= 30) assume.push(performance.now() - t0);
    }
    for (let i = 0; i < 330; i++) {
      const t0 = performance.now();
      await sts.send(new GetCallerIdentityCommand({}));
      if (i >= 30) callerId.push(performance.now() - t0);
    }
    sts.destroy();

    const results = {
      machine: {
        nproc: Number(execFileSync('nproc').toString().trim()),
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        date: new Date().toISOString(),
        dataDir: true,
        /** 1-minute load average at the end: the machine is shared, so high values mean noisy numbers. */
        loadAverage1m: r2(loadavg()[0] ?? 0),
        loadAverageAtStart1m: loadAtStart,
      },
      warmHttp: {
        requests: N,
        totalMedianMs: r2(median(total)), totalP90Ms: r2(p90(total)),
        handlerMedianMs: Math.round(median(handler) * 1000) / 1000,
        addedMedianMs: r2(median(added)), addedP90Ms: r2(p90(added)),
        goalAddedMedianMs: 3, met: median(added) < 3,
        bareNodeHttpRoundTripMedianMs: r2(median(floor)),
      },
      lambdaInvoke: {
        warmSdkInvokeMedianMs: r2(median(warmInvoke)),
        coldSdkInvokeMedianMs: r2(median(cold)),
        coldInitDurationMedianMs: initDurations.length ? r2(median(initDurations)) : null,
        coldRuns: cold.length,
      },
      assumeRole: {
        runs: assume.length, medianMs: r2(median(assume)), p90Ms: r2(p90(assume)), goalMedianMs: 5, met: median(assume) < 5,
        getCallerIdentityMedianMs: r2(median(callerId)),
      },
    };
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'local-cloud.json'), `${JSON.stringify(results, null, 2)}\n`);
    const m = results.machine;
    const w = results.warmHttp;
    const l = results.lambdaInvoke;
    const a = results.assumeRole;
    // The "Data plane" section (S3, DynamoDB) is bench/local-cloud-data.bench.ts's: kept as it is.
    const mdFile = join(out, 'local-cloud.md');
    const previous = existsSync(mdFile) ? readFileSync(mdFile, 'utf8') : '';
    const dataStart = previous.indexOf('<!-- data-plane:start');
    const dataSection = dataStart >= 0 ? `\n${previous.slice(dataStart)}` : '';
    writeFileSync(mdFile, [
      '# Local cloud benchmark',
      '',
      `Machine: ${m.nproc} CPUs (nproc), ${m.cpuModel}, Node ${m.node}, ${m.date}. Cloud in process with a data dir.`,
      `Load average (1 min) at start / end: ${m.loadAverageAtStart1m} / ${m.loadAverage1m} — the machine is shared with other work; numbers taken under load are inflated.`,
      'Run: `node scripts/bench.mjs local-cloud`. Sequential requests, medians after warm-up.',
      '',
      '| measure | median | p90 | goal |',
      '| --- | --- | --- | --- |',
      `| warm HTTP API request, total round trip | ${w.totalMedianMs} ms | ${w.totalP90Ms} ms | |`,
      `| handler's own time (inside the function) | ${w.handlerMedianMs} ms | | |`,
      `| **added by the local cloud** (total - handler) | **${w.addedMedianMs} ms** | ${w.addedP90Ms} ms | < 3 ms: ${w.met ? 'met' : 'NOT met'} |`,
      `| bare Node HTTP round trip (floor, for context) | ${w.bareNodeHttpRoundTripMedianMs} ms | | |`,
      `| Lambda Invoke via SDK, warm | ${l.warmSdkInvokeMedianMs} ms | | |`,
      `| Lambda Invoke via SDK, cold start (new sandbox) | ${l.coldSdkInvokeMedianMs} ms | | |`,
      `| cold start Init Duration (REPORT line) | ${l.coldInitDurationMedianMs ?? 'n/a'} ms | | |`,
      `| **STS AssumeRole round trip** (SDK, IAM user) | **${a.medianMs} ms** | ${a.p90Ms} ms | < 5 ms: ${a.met ? 'met' : 'NOT met'} |`,
      `| STS GetCallerIdentity round trip (for context) | ${a.getCallerIdentityMedianMs} ms | | |`,
      '',
    ].join('\n') + dataSection);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    destroyClients(c);
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

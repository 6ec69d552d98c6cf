/**
 * Scale-out benchmark (a script, not a test). Run from the repo root:
 *   node scripts/bench.mjs scale [-- --fleets 1,3 --deployments 30 --instances 10 --probes 20]
 * PostgreSQL from HANGAR_TEST_PG (default postgres://postgres@127.0.0.1:5432/test; a fresh
 * database per fleet, dropped after).
 *
 * Real processes, from the sources (tsx): one `hangar-cloud` plays AWS; for each fleet size, N
 * `hangar-engine serve` processes share one PostgreSQL database, one blob bucket in the local
 * cloud's S3 (HANGAR_BLOB_URL; ignored by an engine without the S3 blob store) and one
 * HANGAR_SECRET_KEY. The bench drives the HTTP API as the CLI does (sources, blobs, deployments,
 * server-sent events), round-robin over the engines:
 *  1. first deploys of the example app (examples/hello-http) into `--instances` instances;
 *  2. `--deployments` redeploys with changed inputs, submitted at once: deployments per minute,
 *     per-instance order, queue wait under that load;
 *  3. `--probes` deployments one at a time on an idle fleet: queue claim latency (created → started);
 *  4. the same probes followed over SSE from every engine at once: fan-out latency (log line
 *     written → received), from the engine that ran it and from the others.
 * Writes bench/results/scale.json and scale.md with the machine, the load, and the commit measured.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CreateRoleCommand, AttachRolePolicyCommand, CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const repo = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, fallback: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] ?? fallback : fallback; };
const fleets = arg('fleets', '1,3').split(',').map(Number);
const deploymentsPerRun = Number(arg('deployments', '30'));
const instanceCount = Number(arg('instances', '10'));
const probes = Number(arg('probes', '20'));
const pgBase = process.env.HANGAR_TEST_PG || 'postgres://postgres@127.0.0.1:5432/test';
const region = 'us-east-1';
const log = (s: string) => process.stderr.write(`[scale] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => { if (xs.length === 0) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
const fmt = (n: number) => (Number.isNaN(n) ? 'n/a' : `${Math.round(n)} ms`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' / ');

/** A child process from the sources (tsx), its output kept. */
class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  constructor(readonly name: string, entry: string, args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(repo, entry), ...args], {
      cwd: repo, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
  }
  async waitFor(re: RegExp, what: string, timeoutMs = 120_000): Promise<RegExpExecArray> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const m = re.exec(this.stdout) ?? re.exec(this.stderr);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`${this.name}: ${what} not seen.\nstdout:\n${this.stdout.slice(-3000)}\nstderr:\n${this.stderr.slice(-3000)}`);
  }
  cpuSeconds(): number | undefined {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, in clock ticks (100/s)
    } catch { return undefined; }
  }
  rssMb(): number | undefined {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      return kb ? Number(kb) / 1024 : undefined;
    } catch { return undefined; }
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((r) => this.child.once('close', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(t);
  }
}

type Key = { accessKeyId: string; secretAccessKey: string };

async function createAccount(endpoint: string, cloudDir: string, accountId: string): Promise<Key> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  try { headers.authorization = `Bearer ${readFileSync(join(cloudDir, 'admin-token'), 'utf8').trim()}`; } catch { /* no token file */ }
  const res = await fetch(`${endpoint}/_local/accounts`, { method: 'POST', headers, body: JSON.stringify({ accountId }) });
  if (!res.ok) throw new Error(`POST /_local/accounts: ${res.status} ${await res.text()}`);
  return (await res.json()) as Key;
}

async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hangar_scale_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  try { await admin.query(`create database ${name}`); } finally { await admin.end(); }
  const url = new URL(pgBase);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: pgBase });
      await c.connect();
      try { await c.query(`drop database if exists ${name} with (force)`); } finally { await c.end(); }
    },
  };
}

// The bench reads replies loosely (a script, not a client of the contract's types).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
interface Api { url: string; call<T = any>(method: string, path: string, body?: unknown, raw?: boolean): Promise<T> }
function api(url: string, token: string): Api {
  return {
    url,
    async call(method, path, body, raw) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : raw ? { 'content-type': 'application/octet-stream' } : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: raw ? (body as Buffer) : JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
  };
}

/** Follow one deployment's SSE stream; `onLog(receivedAt, line)` for each log line; resolves with the final status. */
async function follow(engineUrl: string, token: string, orgId: string, id: string, onLog?: (receivedAt: number, line: { ts: string; seq: number }) => void): Promise<string> {
  const res = await fetch(`${engineUrl}/api/v1/orgs/${orgId}/deployments/${id}/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: AbortSignal.timeout(180_000) });
  if (!res.ok || !res.body) throw new Error(`events ${id}: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let last = 'unknown';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return last;
      const now = Date.now();
      buf += decoder.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (!event || !data) continue;
        const d = JSON.parse(data) as { ts?: string; seq?: number; status?: string };
        if (event === 'log') onLog?.(now, d as { ts: string; seq: number });
        if (d.status) last = d.status;
        if (event === 'done' || d.status === 'succeeded' || d.status === 'failed') return last;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

interface FleetResult {
  engines: number;
  firstDeploys: { count: number; wallMs: number; perMinute: number; failed: number };
  redeploys: { count: number; wallMs: number; perMinute: number; failed: number; orderHeld: boolean; queueWaitP50: number; queueWaitP99: number; ranOn: Record<string, number> };
  claim: { count: number; p50: number; p99: number };
  fanout: { local: { n: number; p50: number; p99: number }; remote: { n: number; p50: number; p99: number }; unknownRunner: number };
  load: { before: string; after: string };
  engineCpuSeconds: number[];
  engineRssMb: number[];
  /** How many engines asked for the example's file when its manifest was sent through each (1: the store said the others had it). */
  blobUploads: number;
  /** Failed deployments by error code, with one message each. */
  errors: Record<string, number>;
  errorSamples: Record<string, string>;
}

async function runFleet(n: number, ctx: { endpoint: string; cloudDir: string; engineKey: Key; workloadRoot: Key; work: string }): Promise<FleetResult> {
  const db = await freshDatabase();
  const engines: Proc[] = [];
  const loadBefore = load();
  try {
    const secret = randomBytes(32).toString('hex');
    const baseEnv = {
      HANGAR_DATABASE_URL: db.url, HANGAR_SECRET_KEY: secret, HANGAR_PORT: '0', HANGAR_AWS_ENDPOINT: ctx.endpoint, HANGAR_AWS_REGION: region,
      HANGAR_ENGINE_ACCESS_KEY_ID: ctx.engineKey.accessKeyId, HANGAR_ENGINE_SECRET_ACCESS_KEY: ctx.engineKey.secretAccessKey,
      HANGAR_BLOB_URL: `s3://hangar-blobs/fleet-${n}-${randomBytes(3).toString('hex')}`, HANGAR_BLOB_ENDPOINT: ctx.endpoint,
      HANGAR_WORKERS: '2', HANGAR_ORG_CONCURRENCY: '32', HANGAR_LOG_LEVEL: 'info', HANGAR_SHUTDOWN_GRACE: '5',
    };
    const envOf = (i: number) => ({ ...baseEnv, HANGAR_DATA_DIR: join(ctx.work, `fleet-${n}`, `engine-${i}`) });
    // The first engine migrates; the others start next to it (concurrent first starts are safe, but one at a time is kinder to 2 cores).
    for (let i = 0; i < n; i++) {
      const p = new Proc(`engine-${i}`, 'packages/engine/src/bin.ts', ['serve'], envOf(i));
      engines.push(p);
      await p.waitFor(/"msg":"serving the API and the dashboard"/, 'serve ready');
    }
    const urls = engines.map((p) => (JSON.parse(/^.*"msg":"serving the API and the dashboard".*$/m.exec(p.stdout)![0]) as { url: string }).url);
    for (const u of urls) {
      const r = await fetch(`${u}/readyz`).catch(() => undefined);
      if (r && r.status !== 200 && r.status !== 404) throw new Error(`${u}/readyz answered ${r.status}`);
    }

    const boot = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(repo, 'packages/engine/src/bin.ts'), 'bootstrap', '--org', 'bench', '--owner', 'bench@example.com'],
      { cwd: repo, env: { PATH: process.env.PATH ?? '', ...envOf(0), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, encoding: 'utf8' });
    const token = /^token: (\S+)$/m.exec(boot)![1]!;
    const orgId = /\((org_[^)]+)\)/.exec(boot)![1]!;
    const apis = urls.map((u) => api(u, token));
    const org = `/api/v1/orgs/${orgId}`;

    // A provider: the trust policy the engine prints becomes a role in the workload account.
    const provider = await apis[0]!.call('POST', `${org}/providers`, { name: 'bench' });
    const iam = new IAMClient({ region, endpoint: ctx.endpoint, credentials: ctx.workloadRoot });
    const roleName = `hangar-bench-${n}-${randomBytes(3).toString('hex')}`;
    const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(provider.setup.trustPolicy), MaxSessionDuration: 3600 }))).Role!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    iam.destroy();
    const verified = await apis[0]!.call('POST', `${org}/providers/${provider.id}/verify`, { roleArn });
    if (verified.status !== 'verified') throw new Error(`provider not verified: ${JSON.stringify(verified)}`);
    await apis[0]!.call('POST', `${org}/providers/${provider.id}/links`, { scope: 'org' });

    // The example's source, sent through every engine (with a shared bucket only the first uploads).
    const srcDir = join(repo, 'examples/hello-http/src');
    const file = readFileSync(join(srcDir, 'index.mjs'));
    const sha = createHash('sha256').update(file).digest('hex');
    const entries = [{ path: 'index.mjs', sha256: sha, size: file.length, mode: statSync(join(srcDir, 'index.mjs')).mode & 0o777 }];
    let manifestId = '';
    let uploads = 0;
    for (const a of apis) {
      const m = await a.call('POST', `${org}/sources`, { kind: 'full', entries, component: 'http-function' });
      manifestId = m.manifestId;
      for (const h of m.missing as string[]) { await a.call('PUT', `${org}/blobs/${h}`, file, true); uploads++; }
    }

    const inputs = (i: number) => ({ handler: 'index.handler', memory: 128, timeout: 5, env: { GREETING: `hello ${i}`, STAGE: 'bench' } });
    const submit = async (k: number, stage: string, round: number) => {
      const a = apis[k % apis.length]!;
      const r = await a.call('POST', `${org}/deployments`, { app: 'hello-http', stage, name: 'hello', component: 'http-function', inputs: inputs(round), manifestId });
      return { id: r.deploymentId as string, engine: k % apis.length, submittedAt: Date.now() };
    };
    const errors: Record<string, number> = {};
    const errorSamples: Record<string, string> = {};
    const runAll = async (jobs: Array<{ stage: string; round: number }>) => {
      const t0 = performance.now();
      // Instances in parallel; one instance's deployments one after the other (each once the previous
      // one's POST answered, through the next engine), so "the order submitted" is well defined.
      const submitted: Array<Awaited<ReturnType<typeof submit>>> = new Array(jobs.length);
      const byStage = new Map<string, number[]>();
      jobs.forEach((j, k) => byStage.set(j.stage, [...(byStage.get(j.stage) ?? []), k]));
      const following: Array<Promise<string>> = new Array(jobs.length);
      await Promise.all([...byStage.values()].map(async (ks) => {
        for (const k of ks) {
          submitted[k] = await submit(k, jobs[k]!.stage, jobs[k]!.round);
          following[k] = follow(urls[submitted[k]!.engine]!, token, orgId, submitted[k]!.id);
        }
      }));
      const statuses = await Promise.all(following);
      const wallMs = performance.now() - t0;
      for (const [k, st] of statuses.entries()) {
        if (st === 'succeeded') continue;
        const v = await apis[0]!.call('GET', `${org}/deployments/${submitted[k]!.id}`).catch(() => undefined);
        const code = v?.error?.code ?? `status ${st}`;
        errors[code] = (errors[code] ?? 0) + 1;
        if (v?.error?.message) errorSamples[code] ??= String(v.error.message).slice(0, 200);
      }
      return { wallMs, submitted, failed: statuses.filter((s) => s !== 'succeeded').length };
    };
    /** Which engine ran a deployment: the one whose log says it claimed or started it. */
    const runnerOf = (id: string) => engines.findIndex((p) => p.stdout.split('\n').some((l) => l.includes(id) && /claim|started|running|deployment start/i.test(l)));
    const stages = Array.from({ length: instanceCount }, (_, i) => `s${i}`);

    log(`fleet ${n}: first deploys of ${instanceCount} instances`);
    const first = await runAll(stages.map((stage) => ({ stage, round: 0 })));

    log(`fleet ${n}: ${deploymentsPerRun} redeploys at once`);
    const jobs = Array.from({ length: deploymentsPerRun }, (_, k) => ({ stage: stages[k % stages.length]!, round: 1 + Math.floor(k / stages.length) }));
    const second = await runAll(jobs);
    const views = await Promise.all(second.submitted.map((s) => apis[0]!.call('GET', `${org}/deployments/${s.id}`)));
    const byInstance = new Map<string, Array<{ created: string; started: string; finished: string }>>();
    for (const v of views) {
      const list = byInstance.get(v.instanceId) ?? [];
      list.push({ created: v.createdAt, started: v.startedAt, finished: v.finishedAt });
      byInstance.set(v.instanceId, list);
    }
    // Per instance: one at a time (each starts after the previous one finished), in the order submitted.
    let orderHeld = true;
    const orderProblems: string[] = [];
    for (const [instanceId, list] of byInstance) {
      list.sort((x, y) => x.started.localeCompare(y.started));
      for (let i = 1; i < list.length; i++) {
        if (list[i]!.started < list[i - 1]!.finished) { orderHeld = false; orderProblems.push(`${instanceId}: overlapping runs`); }
        if (list[i]!.created < list[i - 1]!.created) { orderHeld = false; orderProblems.push(`${instanceId}: a later submission ran first`); }
      }
    }
    if (orderProblems.length) log(`fleet ${n}: order problems: ${orderProblems.join('; ')}`);
    const waits = views.map((v) => Date.parse(v.startedAt) - Date.parse(v.createdAt));
    const ranOn: Record<string, number> = {};
    for (const s of second.submitted) {
      const runner = runnerOf(s.id);
      const key = runner < 0 ? 'unknown' : `engine-${runner}`;
      ranOn[key] = (ranOn[key] ?? 0) + 1;
    }

    log(`fleet ${n}: ${probes} probes one at a time (claim latency, SSE fan-out)`);
    const claims: number[] = [];
    const local: number[] = [];
    const remote: number[] = [];
    let unknownRunner = 0;
    for (let k = 0; k < probes; k++) {
      const s = await submit(k, stages[k % stages.length]!, 100 + k);
      const opened = Date.now();
      const perEngine = await Promise.all(urls.map(async (u, e) => {
        const got: number[] = [];
        await follow(u, token, orgId, s.id, (at, line) => { if (Date.parse(line.ts) >= opened) got.push(at - Date.parse(line.ts)); });
        return { e, got };
      }));
      const v = await apis[0]!.call('GET', `${org}/deployments/${s.id}`);
      claims.push(Date.parse(v.startedAt) - Date.parse(v.createdAt));
      const runner = runnerOf(s.id);
      if (runner < 0) unknownRunner++;
      for (const { e, got } of perEngine) (e === runner || (runner < 0 && n === 1) ? local : remote).push(...got);
    }

    return {
      engines: n,
      firstDeploys: { count: instanceCount, wallMs: first.wallMs, perMinute: (instanceCount / first.wallMs) * 60_000, failed: first.failed },
      redeploys: { count: deploymentsPerRun, wallMs: second.wallMs, perMinute: (deploymentsPerRun / second.wallMs) * 60_000, failed: second.failed, orderHeld, queueWaitP50: pct(waits, 50), queueWaitP99: pct(waits, 99), ranOn },
      claim: { count: claims.length, p50: pct(claims, 50), p99: pct(claims, 99) },
      fanout: { local: { n: local.length, p50: pct(local, 50), p99: pct(local, 99) }, remote: { n: remote.length, p50: pct(remote, 50), p99: pct(remote, 99) }, unknownRunner },
      load: { before: loadBefore, after: load() },
      engineCpuSeconds: engines.map((p) => p.cpuSeconds() ?? NaN),
      engineRssMb: engines.map((p) => p.rssMb() ?? NaN),
      blobUploads: uploads,
      errors,
      errorSamples,
    };
  } finally {
    for (const p of engines) await p.stop();
    await db.drop().catch((e) => log(`drop database: ${String(e)}`));
  }
}

function render(results: FleetResult[], meta: { startedAt: string; commit: string; merged: string; machine: string; args: string }): string {
  const row = (r: FleetResult) => r;
  const lines = [
    '# Scale-out benchmark',
    '',
    `Run ${meta.startedAt} with \`${meta.args}\`, commit ${meta.commit} (${meta.merged}).`,
    '',
    `Machine: ${meta.machine}. The machine is shared with other work while this runs: see the load averages per fleet.`,
    '',
    'Each fleet: N `hangar-engine serve` processes (from the sources, through tsx) on one fresh PostgreSQL database, one HANGAR_SECRET_KEY, one blob bucket in the local cloud\'s S3, `HANGAR_WORKERS=2` each, `HANGAR_ORG_CONCURRENCY=32` (so the fleet, not the org limit, bounds throughput); one `hangar-cloud` process plays AWS (Lambda, API Gateway, IAM, STS); the bench drives the HTTP API as the CLI does, round-robin over the engines, and follows each deployment over SSE from the engine it was submitted to.',
    '',
    '## Throughput (the example app, examples/hello-http)',
    '',
    '| engines | first deploys (create Lambda + HTTP API) | redeploys with changed inputs, all submitted at once (one instance after another) | per-instance order | failed | queue wait under that load p50 / p99 | ran on | engine CPU s (start included) | engine RSS MB | load average before → after |',
    '| ---: | ---: | ---: | --- | ---: | ---: | --- | --- | --- | --- |',
    ...results.map(row).map((r) => `| ${r.engines} | ${r.firstDeploys.count} in ${(r.firstDeploys.wallMs / 1000).toFixed(1)} s = **${r.firstDeploys.perMinute.toFixed(1)}/min** | ${r.redeploys.count} across ${instanceCount} instances in ${(r.redeploys.wallMs / 1000).toFixed(1)} s = **${r.redeploys.perMinute.toFixed(1)}/min** | ${r.redeploys.orderHeld ? 'held' : 'VIOLATED'} | ${r.firstDeploys.failed + r.redeploys.failed}${Object.keys(r.errors).length ? ` (${Object.entries(r.errors).map(([c, k]) => `${c} ×${k}`).join(', ')})` : ''} | ${fmt(r.redeploys.queueWaitP50)} / ${fmt(r.redeploys.queueWaitP99)} | ${Object.entries(r.redeploys.ranOn).map(([k, v]) => `${k}: ${v}`).join(', ')} | ${r.engineCpuSeconds.map((c) => c.toFixed(1)).join(' + ')} | ${r.engineRssMb.map((m) => m.toFixed(0)).join(' / ')} | ${r.load.before} → ${r.load.after} |`),
    '',
    '## Latency on an idle fleet (deployments one at a time)',
    '',
    '| engines | queue claim (created → started) p50 / p99 | SSE from the engine that ran it p50 / p99 (lines) | SSE from another engine p50 / p99 (lines) |',
    '| ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.engines} | ${fmt(r.claim.p50)} / ${fmt(r.claim.p99)} (${r.claim.count} probes) | ${fmt(r.fanout.local.p50)} / ${fmt(r.fanout.local.p99)} (${r.fanout.local.n}) | ${r.engines === 1 ? '—' : `${fmt(r.fanout.remote.p50)} / ${fmt(r.fanout.remote.p99)} (${r.fanout.remote.n})`} |`),
    '',
    ...results.flatMap((r) => Object.entries(r.errorSamples).map(([c, m]) => `- ${r.engines} engine(s), ${c}: "${m.replace(/\s+/g, ' ')}"`)),
    '',
    'Claim latency is the engine\'s own `startedAt - createdAt` (one clock: all processes run on this machine). SSE latency is the time from a log line\'s `ts` (written by the engine running the deployment) to its arrival at a client connected to each engine; lines replayed on connect are left out.',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = new Date().toISOString();
  const work = mkdtempSync(join(tmpdir(), 'hangar-scale-'));
  const cloudDir = join(work, 'cloud');
  mkdirSync(cloudDir, { recursive: true });
  const cloud = new Proc('cloud', 'packages/local-cloud/src/bin.ts', ['--port', '0', '--data-dir', cloudDir], {});
  try {
    const endpoint = (await cloud.waitFor(/endpoint: (http:\/\/\S+)/, 'hangar-cloud endpoint'))[1]!;
    const engineRoot = await createAccount(endpoint, cloudDir, '100000000001');
    const workloadRoot = await createAccount(endpoint, cloudDir, '200000000002');
    const admin = new IAMClient({ region, endpoint, credentials: engineRoot });
    await admin.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await admin.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'engine',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity', 'sts:GetCallerIdentity'], Resource: '*' },
        { Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::hangar-blobs', 'arn:aws:s3:::hangar-blobs/*'] },
      ] }),
    }));
    const k = (await admin.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    admin.destroy();
    const s3 = new S3Client({ region, endpoint, forcePathStyle: true, credentials: engineRoot });
    await s3.send(new CreateBucketCommand({ Bucket: 'hangar-blobs' }));
    s3.destroy();
    const engineKey = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };

    const results: FleetResult[] = [];
    for (const n of fleets) {
      results.push(await runFleet(n, { endpoint, cloudDir, engineKey, workloadRoot, work }));
      log(JSON.stringify(results.at(-1)));
    }
    const git = (args: string[]) => { try { return execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim(); } catch { return '?'; } };
    const meta = {
      startedAt,
      commit: git(['rev-parse', '--short', 'HEAD']),
      merged: git(['log', '-1', '--format=%s']).slice(0, 120),
      machine: `${cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? '?'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${platform()} ${release()} ${arch()}, Node ${process.version}`,
      args: `node scripts/bench.mjs scale -- --fleets ${fleets.join(',')} --deployments ${deploymentsPerRun} --instances ${instanceCount} --probes ${probes}`,
    };
    mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repo, 'bench', 'results', 'scale.json'), `${JSON.stringify({ meta, results }, null, 2)}\n`);
    const mdFile = join(repo, 'bench', 'results', 'scale.md');
    let notes = '';
    try { const old = readFileSync(mdFile, 'utf8'); const i = old.indexOf('\n## Notes'); if (i >= 0) notes = old.slice(i); } catch { /* first run */ }
    writeFileSync(mdFile, render(results, meta) + (notes || '\n## Notes\n\n(written by hand after the run)\n'));
    log(`wrote bench/results/scale.md and scale.json`);
  } finally {
    await cloud.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exit(1); });

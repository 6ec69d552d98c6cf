/**
 * Two `hangar-engine serve` processes on one PostgreSQL database and one blob bucket, behind a
 * small load balancer, with the `hangar` CLI talking to the balancer. Engine 1 only serves the API;
 * engine 2 runs deployments. The CLI deploys through engine 1 (the source lands in the bucket),
 * engine 2 runs it and the CLI follows it through engine 1 (LISTEN/NOTIFY). Mid-run, engine 1 is
 * killed with SIGKILL and the balancer sends the CLI to engine 2: the CLI resumes the stream with
 * Last-Event-ID and no log line is printed twice.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { ensureDeployerRole, iamClient } from '../packages/local/src/local-accounts.js';
import { freshPostgres, type FreshDatabase } from './engines.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bins = { engine: join(root, 'packages/engine/dist/bin.js'), cli: join(root, 'packages/cli/dist/bin.js') };
const region = 'us-east-1';
const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const bucket = 'hangar-e2e-blobs';

/**
 * A pass-through proxy whose target can change, that can cut every open connection, and that can
 * hold requests matching `holding` until `release()`.
 */
interface Balancer { url: string; target: string; holding?: (req: IncomingMessage) => boolean; release(): void; dropAll(): void; seen: IncomingMessage[]; close(): Promise<void> }
async function startBalancer(target: string): Promise<Balancer> {
  const sockets = new Set<Socket>();
  let released: Promise<void> = Promise.resolve();
  let release = (): void => {};
  const b: Balancer = {
    url: '', target, seen: [],
    release: () => release(),
    dropAll: () => { for (const s of sockets) s.destroy(); },
    close: () => new Promise((r) => { b.dropAll(); server.close(() => r()); }),
  };
  released = new Promise((r) => { release = r; });
  const server: Server = createServer((req, res) => {
    b.seen.push(req);
    const go = () => {
      const to = new URL(b.target);
      const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (b.holding?.(req)) void released.then(go);
    else go();
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  b.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return b;
}

function run(file: string, args: string[], env: Record<string, string>, cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...quiet, ...env }, cwd, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

class Proc {
  readonly child: ChildProcess;
  out = '';
  constructor(file: string, args: string[], env: Record<string, string>, cwd = root) {
    this.child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...quiet, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.out += d; });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.out += d; });
  }
  readonly exited = (): Promise<number | null> => new Promise((r) => (this.child.exitCode !== null || this.child.signalCode !== null ? r(this.child.exitCode) : this.child.once('close', (c) => r(c))));
  async waitFor(re: RegExp, what: string): Promise<RegExpExecArray> {
    for (let i = 0; i < 1800; i++) {
      const m = re.exec(this.out);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not seen.\n${this.out}`);
  }
  stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited();
  }
}

describe('two engines behind a balancer, one PostgreSQL database, one blob bucket', { skip: process.env.HANGAR_TEST_PG ? false : 'HANGAR_TEST_PG is not set: the two-engine flow was NOT run', timeout: 600_000 }, () => {
  let work: string;
  let cloud: LocalCloud;
  let cloudProxy: Balancer;
  let lb: Balancer;
  let database: FreshDatabase | undefined;
  let engineEnv: Record<string, string>;
  const engines: Proc[] = [];
  let s3: S3Client;
  let workloadRoot: { accessKeyId: string; secretAccessKey: string };
  const cliEnv = () => ({ HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home', '.hangar') });

  const startEngine = async (name: string, workers: number) => {
    const p = new Proc(bins.engine, ['serve'], { ...engineEnv, HANGAR_DATA_DIR: join(work, name), HOME: join(work, `${name}-home`), HANGAR_WORKERS: String(workers) });
    engines.push(p);
    const m = await p.waitFor(/^.*"msg":"serving the API and the dashboard".*$/m, `${name} serving`);
    return { p, url: (JSON.parse(m[0]) as { url: string }).url };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hangar-two-engines-'));
    mkdirSync(join(work, 'home'), { recursive: true });
    cloud = await startLocalCloud({ port: 0, log: () => {} });
    // The engines reach the cloud through a proxy (the Host header kept, so signatures hold) that can
    // hold Lambda calls: a run then waits mid-way.
    cloudProxy = await startBalancer(cloud.endpoint);
    const engineRoot = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '100000000001' });
    workloadRoot = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '200000000002' });
    const admin = iamClient(cloud.endpoint, region, engineRoot);
    await admin.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await admin.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'engine',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
        { Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' },
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], Resource: `arn:aws:s3:::${bucket}/e2e/*` },
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: `arn:aws:s3:::${bucket}` },
      ] }),
    }));
    const k = (await admin.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    admin.destroy();
    s3 = new S3Client({ region, endpoint: cloud.endpoint, forcePathStyle: true, credentials: engineRoot });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));

    database = await freshPostgres('hangar_e2e');
    engineEnv = {
      HANGAR_PORT: '0', HANGAR_AWS_ENDPOINT: cloudProxy.url, HANGAR_AWS_REGION: region,
      HANGAR_ENGINE_ACCESS_KEY_ID: k.AccessKeyId!, HANGAR_ENGINE_SECRET_ACCESS_KEY: k.SecretAccessKey!,
      HANGAR_DATABASE_URL: database.url, HANGAR_BLOB_URL: `s3://${bucket}/e2e`, HANGAR_BLOB_ENDPOINT: cloud.endpoint,
      // Engines sharing a database share the secret that encrypts the signing keys (docs/scale-out.md).
      HANGAR_SECRET_KEY: randomBytes(32).toString('hex'),
    };
  });

  after(async () => {
    for (const e of engines) await e.stop();
    await lb?.close();
    await cloudProxy?.close();
    s3?.destroy();
    await cloud?.stop();
    await database?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('deploy through engine 1, run on engine 2, engine 1 killed mid-run: the CLI resumes on engine 2 without reprinting', async () => {
    const one = await startEngine('engine-1', 0);
    const two = await startEngine('engine-2', 1);
    const boot = await run(bins.engine, ['bootstrap', '--org', 'acme', '--owner', 'owner@acme.dev'], { ...engineEnv, HANGAR_DATA_DIR: join(work, 'engine-1'), HOME: join(work, 'engine-1-home') });
    assert.equal(boot.code, 0, boot.stdout + boot.stderr);
    const token = /^token: (hgr_\S+)$/m.exec(boot.stdout)![1]!;

    lb = await startBalancer(one.url);
    const hangar = (args: string[], cwd?: string) => run(bins.cli, args, cliEnv(), cwd);
    assert.equal((await hangar(['login', '--url', lb.url, '--token', token])).code, 0);
    const created = await hangar(['providers', 'create', 'prod', '--json'], work);
    assert.equal(created.code, 0, created.stdout + created.stderr);
    const policy = (JSON.parse(created.stdout) as { setup: { trustPolicy: unknown } }).setup.trustPolicy;
    const wl = iamClient(cloud.endpoint, region, workloadRoot);
    const roleArn = await ensureDeployerRole(wl, 'hangar-deployer', typeof policy === 'string' ? policy : JSON.stringify(policy));
    wl.destroy();
    const verify = await hangar(['providers', 'verify', 'prod', '--role-arn', roleArn]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal((await hangar(['providers', 'link', 'prod', '--org-default'])).code, 0);

    const project = join(work, 'hello-http');
    cpSync(join(root, 'examples/hello-http'), project, { recursive: true });
    // Engine 2's Lambda calls wait until released: the run stops after its first lines.
    cloudProxy.holding = (req) => /\/lambda\//.test(String(req.headers.authorization ?? ''));
    const cli = new Proc(bins.cli, ['deploy', '--refresh'], cliEnv(), project);
    // The provider line is written by engine 2 and reaches the CLI through engine 1.
    await cli.waitFor(/role arn:aws:iam::200000000002:role\/hangar-deployer/, 'the first log line, through engine 1');
    assert.ok(lb.seen.every((r) => !r.headers['last-event-id']), 'no resume yet');

    // Engine 1 dies; the balancer now sends everyone to engine 2 and cuts what was open.
    await one.p.stop();
    lb.target = two.url;
    lb.dropAll();
    cloudProxy.release();
    const code = await cli.exited();
    assert.equal(code, 0, cli.out);

    const resumed = lb.seen.filter((r) => r.url?.endsWith('/events') && r.headers['last-event-id']);
    assert.ok(resumed.length >= 1, `the CLI resumed with Last-Event-ID:\n${cli.out}`);
    const lines = cli.out.split('\n').filter((l) => l.trim() !== '');
    const logLines = lines.filter((l) => /role arn:aws:iam::|Creating|Updating|function/i.test(l));
    assert.equal(new Set(logLines).size, logLines.length, `a line was printed twice:\n${cli.out}`);
    assert.match(cli.out, /https?:\/\/\S+/, 'the URL is printed');
    const keys = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'e2e/' }));
    assert.ok(keys.Contents?.some((o) => o.Key?.startsWith('e2e/blobs/')), 'the source is in the bucket');
    assert.ok(keys.Contents?.some((o) => o.Key?.startsWith('e2e/packages/')), 'engine 2 shared the package it built');
  });
});

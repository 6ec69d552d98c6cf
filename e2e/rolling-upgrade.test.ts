/**
 * A rolling upgrade with real processes (docs/self-host.md, Upgrades): the previous release's
 * engine (its code taken from git at PREVIOUS_RELEASE and run from its sources) serves a
 * PostgreSQL database and deploys the example; an engine of this release starts on the same
 * database and data dir (it migrates, imports the old engine's signing keys) and deploys; the old
 * engine restarts mid-rollout with HANGAR_MIGRATE=off, as the upgrade notes say, and still deploys;
 * the audit log, with checkpoints signed before and after the upgrade, verifies on the new engine.
 * Needs HANGAR_TEST_PG and the repository's git history (skipped without either).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';

/** The release before this one: bump it when a release is cut. */
const PREVIOUS_RELEASE = 'd122b5449b5d4ccd83c99ba299110cae9a085106';

const root = fileURLToPath(new URL('..', import.meta.url));
const region = 'us-east-1';
const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function hasCommit(): boolean {
  try { execFileSync('git', ['cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`], { cwd: root, stdio: 'ignore' }); return true; } catch { return false; }
}
const skip = !process.env.HANGAR_TEST_PG ? 'HANGAR_TEST_PG is not set: the rolling upgrade was NOT run'
  : !hasCommit() ? `git history without ${PREVIOUS_RELEASE.slice(0, 7)} (a shallow clone or a package): the rolling upgrade was NOT run` : false;

class Proc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...quiet, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    this.exited = new Promise((r) => this.child.once('close', (code) => r(code)));
  }
  async waitFor(re: RegExp, what: string): Promise<RegExpExecArray> {
    for (let i = 0; i < 1800; i++) {
      const m = re.exec(this.stdout);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not seen.\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr.slice(-4000)}`);
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(t);
  }
}

describe('rolling upgrade from the previous release', { skip, timeout: 900_000 }, () => {
  let work: string;
  let previous: string;
  let cloud: Proc;
  let endpoint: string;
  let dbName: string;
  let dbUrl: string;
  const engines: Proc[] = [];
  let env: Record<string, string>;
  let workload: { accessKeyId: string; secretAccessKey: string };

  /** The previous release's engine (and the core and components it was built with), run from its sources. */
  function extractPrevious(): string {
    const dir = join(root, 'test-output', 'previous-release', PREVIOUS_RELEASE.slice(0, 12));
    if (!existsSync(join(dir, 'packages', 'engine', 'src', 'bin.ts'))) {
      mkdirSync(dir, { recursive: true });
      const tar = execFileSync('git', ['archive', PREVIOUS_RELEASE, 'packages/engine', 'packages/core', 'packages/components'], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
      mkdirSync(join(dir, 'node_modules', '@hangar'), { recursive: true });
      for (const p of ['core', 'components', 'engine']) symlinkSync(join('..', '..', 'packages', p), join(dir, 'node_modules', '@hangar', p));
    }
    return dir;
  }

  const startEngine = async (which: 'previous' | 'current', extra: Record<string, string> = {}): Promise<{ p: Proc; url: string }> => {
    const args = which === 'previous'
      ? ['--conditions=source', '--import', 'tsx', join(previous, 'packages', 'engine', 'src', 'bin.ts'), 'serve']
      : ['--conditions=source', '--import', 'tsx', join(root, 'packages', 'engine', 'src', 'bin.ts'), 'serve'];
    const p = new Proc(args, { ...env, ...extra });
    engines.push(p);
    const m = await p.waitFor(/^.*"msg":"serving the API and the dashboard".*$/m, `the ${which} engine serving`);
    return { p, url: (JSON.parse(m[0]) as { url: string }).url };
  };

  let token = '';
  let orgId = '';
  const call = async <T = Record<string, unknown>>(url: string, method: string, path: string, body?: unknown, raw = false): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
      ...(body === undefined ? {} : { body: raw ? (body as Buffer) : JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };

  /** What `hangar deploy` does, through the HTTP API: the source, the deployment, its events to the end. */
  async function deploy(url: string, greeting: string): Promise<{ status: string; outputs: { url?: string } }> {
    const srcDir = join(root, 'examples', 'hello-http', 'src');
    const file = readFileSync(join(srcDir, 'index.mjs'));
    const entries = [{ path: 'index.mjs', sha256: createHash('sha256').update(file).digest('hex'), size: file.length, mode: statSync(join(srcDir, 'index.mjs')).mode & 0o777 }];
    const m = await call<{ manifestId: string; missing: string[] }>(url, 'POST', `/api/v1/orgs/${orgId}/sources`, { kind: 'full', entries });
    for (const h of m.missing) await call(url, 'PUT', `/api/v1/orgs/${orgId}/blobs/${h}`, file, true);
    const d = await call<{ deploymentId: string }>(url, 'POST', `/api/v1/orgs/${orgId}/deployments`, {
      app: 'hello-http', stage: 'dev', name: 'hello', component: 'http-function', manifestId: m.manifestId,
      inputs: { handler: 'index.handler', memory: 128, timeout: 5, env: { GREETING: greeting } },
    });
    const events = await fetch(`${url}/api/v1/orgs/${orgId}/deployments/${d.deploymentId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(240_000) });
    const text = await events.text(); // the stream ends after the `done` event
    assert.match(text, /event: done/, text.slice(-2000));
    return call(url, 'GET', `/api/v1/orgs/${orgId}/deployments/${d.deploymentId}`);
  }

  before(async () => {
    previous = extractPrevious();
    work = mkdtempSync(join(tmpdir(), 'hangar-rolling-'));
    cloud = new Proc([join(root, 'packages/local-cloud/dist/bin.js'), '--port', '0', '--data-dir', join(work, 'cloud')], {});
    endpoint = (await cloud.waitFor(/endpoint: (http:\/\/\S+)/, 'hangar-cloud endpoint'))[1]!;
    const account = async (accountId: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const tokenFile = join(work, 'cloud', 'admin-token');
      if (existsSync(tokenFile)) headers.authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
      const res = await fetch(`${endpoint}/_local/accounts`, { method: 'POST', headers, body: JSON.stringify({ accountId }) });
      assert.ok(res.ok, await res.clone().text());
      return (await res.json()) as { accessKeyId: string; secretAccessKey: string };
    };
    const engineRoot = await account('100000000001');
    const admin = new IAMClient({ region, endpoint, credentials: engineRoot });
    await admin.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await admin.send(new PutUserPolicyCommand({ UserName: 'hangar-engine', PolicyName: 'assume', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] }) }));
    const key = (await admin.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    admin.destroy();

    dbName = `hangar_rolling_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: process.env.HANGAR_TEST_PG });
    await c.connect();
    try { await c.query(`create database ${dbName}`); } finally { await c.end(); }
    const u = new URL(process.env.HANGAR_TEST_PG!);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
    env = {
      HOME: join(work, 'home'), HANGAR_DATA_DIR: join(work, 'engine'), HANGAR_DATABASE_URL: dbUrl, HANGAR_PORT: '0',
      HANGAR_AWS_ENDPOINT: endpoint, HANGAR_AWS_REGION: region, HANGAR_ENGINE_ACCESS_KEY_ID: key.AccessKeyId!, HANGAR_ENGINE_SECRET_ACCESS_KEY: key.SecretAccessKey!,
      HANGAR_WORKERS: '1', HANGAR_SHUTDOWN_GRACE: '5', HANGAR_AUDIT_CHECKPOINT_EVERY: '1',
    };
    // The workload account; its role comes after the provider is created (its trust policy).
    workload = await account('200000000002');
  });

  after(async () => {
    for (const e of engines) await e.stop();
    await cloud?.stop();
    if (dbName) {
      const c = new pg.Client({ connectionString: process.env.HANGAR_TEST_PG });
      await c.connect();
      try { await c.query(`drop database if exists ${dbName} with (force)`); } finally { await c.end(); }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the previous release deploys; this release joins, migrates and deploys; the previous one restarts and still deploys; the audit log verifies', async () => {
    // 1. The fleet before the upgrade.
    const old = await startEngine('previous');
    const boot = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(previous, 'packages', 'engine', 'src', 'bin.ts'), 'bootstrap', '--org', 'acme', '--owner', 'owner@acme.dev'],
      { cwd: root, env: { PATH: process.env.PATH ?? '', ...quiet, ...env }, encoding: 'utf8' });
    token = /^token: (\S+)$/m.exec(boot)![1]!;
    orgId = /\((org_[^)]+)\)/.exec(boot)![1]!;
    const provider = await call<{ id: string; setup: { trustPolicy: unknown } }>(old.url, 'POST', `/api/v1/orgs/${orgId}/providers`, { name: 'prod' });
    const iam = new IAMClient({ region, endpoint, credentials: workload });
    const roleArn = (await iam.send(new CreateRoleCommand({ RoleName: 'hangar-deployer', AssumeRolePolicyDocument: JSON.stringify(provider.setup.trustPolicy) }))).Role!.Arn!;
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'hangar-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    iam.destroy();
    assert.equal((await call<{ status: string }>(old.url, 'POST', `/api/v1/orgs/${orgId}/providers/${provider.id}/verify`, { roleArn })).status, 'verified');
    await call(old.url, 'POST', `/api/v1/orgs/${orgId}/providers/${provider.id}/links`, { scope: 'org' });
    assert.equal((await deploy(old.url, 'before the upgrade')).status, 'succeeded');
    const oldJwks = await (await fetch(`${old.url}/.well-known/jwks.json`)).json() as { keys: Array<{ kid: string }> };

    // 2. An engine of this release joins (same database and data dir): it migrates and imports the old keys.
    const current = await startEngine('current');
    assert.match(current.p.stdout, /"msg":"database migrated"/);
    assert.match(current.p.stdout, /"msg":"signing key imported from the data dir into the database"/);
    const newJwks = await (await fetch(`${current.url}/.well-known/jwks.json`)).json() as { keys: Array<{ kid: string }> };
    assert.equal(newJwks.keys[0]!.kid, oldJwks.keys[0]!.kid, 'the new engine signs with the key the old one published');
    assert.equal((await fetch(`${current.url}/readyz`)).status, 200);
    assert.equal((await deploy(current.url, 'during the rollout')).status, 'succeeded');
    assert.equal((await deploy(old.url, 'old engine, during the rollout')).status, 'succeeded');

    // 3. The old engine restarts mid-rollout, as the upgrade notes say: with HANGAR_MIGRATE=off.
    // (With migrations on, the previous release refuses a database a newer engine migrated: engines of
    // this release no longer do, see store/rolling-upgrade.test.ts.)
    await old.p.stop();
    const refused = new Proc(['--conditions=source', '--import', 'tsx', join(previous, 'packages', 'engine', 'src', 'bin.ts'), 'serve'], env);
    assert.notEqual(await refused.exited, 0);
    assert.match(refused.stdout + refused.stderr, /corrupted migrations: previously executed migration 2026_12_01_\w+ is missing/);
    const again = await startEngine('previous', { HANGAR_MIGRATE: 'off' });
    assert.equal((await deploy(again.url, 'old engine restarted')).status, 'succeeded');

    // 4. Checkpoints signed before and after the upgrade verify on the new engine.
    const verify = await call<{ ok: boolean }>(current.url, 'GET', `/api/v1/orgs/${orgId}/audit/verify`);
    assert.equal(verify.ok, true, JSON.stringify(verify));
  });
});

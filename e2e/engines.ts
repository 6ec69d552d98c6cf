/**
 * Running the built engine, local cloud and CLI as real processes in the e2e tests (next to
 * processes.ts, which runs npm, git and other tools): one-shot runs, long-running children whose
 * output is watched, a fresh PostgreSQL database per run, and what an AWS admin does in the local
 * cloud before an engine can start (accounts, the engine's IAM user).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const bins = {
  cloud: join(root, 'packages/local-cloud/dist/bin.js'),
  engine: join(root, 'packages/engine/dist/bin.js'),
  cli: join(root, 'packages/cli/dist/bin.js'),
};
export const region = 'us-east-1';
export const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export interface AccessKey { accessKeyId: string; secretAccessKey: string }
export interface NodeResult { code: number; stdout: string; stderr: string }

/** Runs a Node script to its end with only PATH from this environment; never rejects (the caller asserts on `code`). */
export function runNode(file: string, args: string[], opts: { env: Record<string, string>; cwd?: string; timeoutMs: number }): Promise<NodeResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...quiet, ...opts.env }, cwd: opts.cwd ?? root, maxBuffer: 16 * 1024 * 1024, timeout: opts.timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running Node child whose output is collected; `waitFor` resolves on the first stdout match. */
export class NodeProc {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(file: string, args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...quiet, ...env }, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.stdout += d; });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.stderr += d; });
    // 'close', not 'exit': all of its output has been read by then.
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  async waitFor(re: RegExp, what: string): Promise<RegExpExecArray> {
    for (let i = 0; i < 1200; i++) {
      const m = re.exec(this.stdout);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not seen.\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr}`);
  }

  /** stdout's JSON log records; `strict`: every line must be one. */
  records(o: { strict?: boolean } = {}): Array<Record<string, unknown>> {
    const lines = this.stdout.split('\n');
    if (!o.strict) return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return lines.filter(Boolean).map((l) => {
      try { return JSON.parse(l) as Record<string, unknown>; } catch { throw new Error(`a stdout line is not JSON: ${l}`); }
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** `hangar-engine serve` with `env`; resolves once it prints the URL it serves. */
export async function startEngineProcess(env: Record<string, string>): Promise<{ p: NodeProc; url: string }> {
  const p = new NodeProc(bins.engine, ['serve'], env);
  const m = await p.waitFor(/^.*"msg":"serving the API and the dashboard".*$/m, 'hangar-engine serve printing its URL');
  return { p, url: (JSON.parse(m[0]) as { url: string }).url };
}

/** An account through the local cloud's admin route, with its admin token when it writes one (`<data-dir>/admin-token`). */
export async function createCloudAccount(endpoint: string, cloudDir: string, accountId: string): Promise<AccessKey> {
  const tokenFile = join(cloudDir, 'admin-token');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (existsSync(tokenFile)) headers.authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
  const res = await fetch(`${endpoint}/_local/accounts`, { method: 'POST', headers, body: JSON.stringify({ accountId }) });
  assert.ok(res.ok, `POST /_local/accounts answered ${res.status}: ${await res.clone().text()}`);
  return (await res.json()) as AccessKey;
}

export const iam = (endpoint: string, key: AccessKey) =>
  new IAMClient({ region, endpoint, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey } });

/** What an AWS admin does for the engine: an IAM user `hangar-engine` allowed to assume roles (and nothing else), and its access key. */
export async function createEngineUser(endpoint: string, engineRoot: AccessKey): Promise<AccessKey> {
  const admin = iam(endpoint, engineRoot);
  try {
    await admin.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await admin.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'assume-provider-roles',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] }),
    }));
    const k = (await admin.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
  } finally {
    admin.destroy();
  }
}

export interface FreshDatabase { readonly name: string; readonly url: string; drop(): Promise<void> }

/** A fresh PostgreSQL database on HANGAR_TEST_PG's server, named `<prefix>_<random>`; `drop()` removes it (even with connections left open). */
export async function freshPostgres(prefix: string, bytes = 5): Promise<FreshDatabase> {
  const base = process.env.HANGAR_TEST_PG;
  if (!base) throw new Error('HANGAR_TEST_PG is not set');
  const name = `${prefix}_${randomBytes(bytes).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try { await admin.query(`create database ${name}`); } finally { await admin.end(); }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try { await c.query(`drop database if exists ${name} with (force)`); } finally { await c.end(); }
    },
  };
}

/** What the workload account's admin does with the trust policy a provider printed: the role `hangar-deployer`, with administrator rights. */
export async function createDeployerRole(endpoint: string, workloadRoot: AccessKey, trustPolicy: string): Promise<string> {
  const workload = iam(endpoint, workloadRoot);
  try {
    const roleArn = (await workload.send(new CreateRoleCommand({ RoleName: 'hangar-deployer', AssumeRolePolicyDocument: trustPolicy, MaxSessionDuration: 3600 }))).Role!.Arn!;
    await workload.send(new AttachRolePolicyCommand({ RoleName: 'hangar-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    return roleArn;
  } finally {
    workload.destroy();
  }
}

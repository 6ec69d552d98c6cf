/**
 * The embedded default behind `hangar up`: the local cloud and the engine in one process, and on
 * first start, visibly, what a new user would do — an org and its owner, the engine's own IAM
 * identity, a deployer role in a workload account created from the provider's own trust policy,
 * the provider verified and made the org default. State lives in one data dir and survives restarts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { lockDataDir, resolveConfig, runEngineServer, type DataDirLock, type Logger, type RunningEngine } from '@hangar/engine';
import { createLocalAccounts, ensureDeployerRole, iamClient, type LocalAccounts } from './local-accounts.js';

export interface EmbeddedOptions {
  readonly dataDir: string;
  /** Engine port (default 7300; 0 picks one). */
  readonly port?: number;
  /** Local cloud port (default engine port + 1; 0 picks one). */
  readonly cloudPort?: number;
  readonly region?: string;
  /** Progress for a person: one line a step. */
  readonly step?: (message: string) => void;
  readonly logger?: Logger;
  /**
   * Where the engine should reach the local cloud, given its endpoint (default: the endpoint itself).
   * Tests put a recording proxy here to see every request the engine sends to AWS.
   */
  readonly engineCloudEndpoint?: (cloudEndpoint: string) => Promise<string>;
}

export interface Embedded {
  readonly engineUrl: string;
  readonly cloudUrl: string;
  readonly dashboardUrl: string;
  readonly orgId: string;
  /** Only on the first start: the owner's API token, shown once. */
  readonly ownerToken: string | undefined;
  readonly firstStart: boolean;
  readonly providerName: string;
  readonly roleArn: string;
  readonly engine: RunningEngine;
  readonly cloud: LocalCloud;
  close(): Promise<void>;
}

/** What the embedded default remembers between starts (the engine's own local identity, ids). Mode 0600. */
interface EmbeddedState {
  readonly version: 1;
  readonly region: string;
  readonly accounts: LocalAccounts;
  readonly orgId: string;
  readonly providerName: string;
  readonly roleArn: string;
}

function readState(file: string): EmbeddedState | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedState;
}

function writeState(file: string, state: EmbeddedState): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

async function api<T>(engine: RunningEngine, token: string, method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown): Promise<T> {
  const res = await engine.engine.app.inject({
    method, url,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const parsed = res.body ? JSON.parse(res.body) as unknown : undefined;
  if (res.statusCode >= 400) {
    const e = parsed as { code?: string; message?: string } | undefined;
    throw new Error(`${method} ${url} failed: ${e?.code ?? res.statusCode} ${e?.message ?? res.body}`);
  }
  return parsed as T;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<Embedded> {
  const dataDir = resolve(options.dataDir);
  const region = options.region ?? 'us-east-1';
  const step = options.step ?? (() => {});
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stateFile = join(dataDir, 'embedded.json');
  const saved = readState(stateFile);
  const port = options.port ?? 7300;
  const cloudPort = options.cloudPort ?? (port === 0 ? 0 : port + 1);

  // One `hangar up` per data dir: the lock is taken before the cloud or the engine touches it (a
  // second `up` stops here, naming the first, instead of starting a second cloud on the same files).
  const lock = lockDataDir(dataDir);
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({ port: cloudPort, dataDir: join(dataDir, 'cloud') });
  } catch (e) {
    lock.release();
    throw e;
  }
  step(`Local cloud (AWS-compatible: IAM, STS, Lambda, HTTP APIs, Logs, S3) at ${cloud.endpoint}`);
  let engine: RunningEngine | undefined;
  try {
    let accounts = saved?.accounts;
    if (!accounts) {
      accounts = await createLocalAccounts(cloud.endpoint, cloud.adminToken, region);
      step(`Created local AWS accounts: engine ${accounts.engineAccountId} (IAM user ${accounts.engineUser.arn}), workload ${accounts.workloadAccountId}`);
    }
    const { config, host } = resolveConfig({
      dataDir: join(dataDir, 'engine'),
      port,
      aws: { region, endpoint: options.engineCloudEndpoint ? await options.engineCloudEndpoint(cloud.endpoint) : cloud.endpoint, accessKeyId: accounts.engineUser.accessKeyId, secretAccessKey: accounts.engineUser.secretAccessKey },
      // Local development: CI trusts may name a loopback http issuer (e.g. a test OIDC issuer).
      ci: { allowInsecureIssuers: true },
    });
    engine = await runEngineServer({ config: { ...config, publicUrl: port === 0 ? `http://${host}:0` : config.publicUrl }, port, host, ...(options.logger ? { logger: options.logger } : {}) });
    step(`Engine at ${engine.url}`);

    if (saved) {
      return finish(engine, cloud, lock, { orgId: saved.orgId, providerName: saved.providerName, roleArn: saved.roleArn, ownerToken: undefined, firstStart: false });
    }

    const { org, token } = await engine.engine.bootstrap.createOrg({ name: 'local', owner: { email: 'owner@localhost', name: 'Local owner' }, tokenName: 'hangar-up' });
    step(`Created org "${org.name}" (${org.id}) and its owner owner@localhost`);
    const base = `/api/v1/orgs/${org.id}/providers`;
    const created = await api<{ id: string; name: string; setup: { externalId: string; trustPolicy: unknown } }>(engine, token.token, 'POST', base, { name: 'local', region, accountId: accounts.workloadAccountId });
    const trustPolicy = typeof created.setup.trustPolicy === 'string' ? created.setup.trustPolicy : JSON.stringify(created.setup.trustPolicy);
    step(`Created provider "local" with engine-generated external ID ${created.setup.externalId.slice(0, 12)}…`);
    const iam = iamClient(cloud.endpoint, region, accounts.workloadRoot);
    let roleArn: string;
    try {
      roleArn = await ensureDeployerRole(iam, 'hangar-deployer', trustPolicy);
    } finally {
      iam.destroy();
    }
    step(`Created role ${roleArn} in the workload account from the provider's trust policy`);
    const verified = await api<{ status: string; checks: { title: string; passed: boolean }[]; message?: string }>(engine, token.token, 'POST', `${base}/${created.id}/verify`, { roleArn });
    for (const c of verified.checks) step(`  ${c.passed ? 'passed' : 'FAILED'}: ${c.title}`);
    if (verified.status !== 'verified') throw new Error(`provider verification failed: ${verified.message ?? verified.status}`);
    await api(engine, token.token, 'POST', `${base}/${created.id}/links`, { scope: 'org' });
    step('Verified the provider (the role refuses a missing or wrong external ID) and made it the org default');
    writeState(stateFile, { version: 1, region, accounts, orgId: org.id, providerName: 'local', roleArn });
    return finish(engine, cloud, lock, { orgId: org.id, providerName: 'local', roleArn, ownerToken: token.token, firstStart: true });
  } catch (e) {
    await engine?.close();
    await cloud.stop();
    lock.release();
    throw e;
  }
}

function finish(engine: RunningEngine, cloud: LocalCloud, lock: DataDirLock, facts: Pick<Embedded, 'orgId' | 'providerName' | 'roleArn' | 'ownerToken' | 'firstStart'>): Embedded {
  let closed = false;
  return {
    ...facts,
    engineUrl: engine.url,
    cloudUrl: cloud.endpoint,
    dashboardUrl: `${engine.url}/`,
    engine,
    cloud,
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await cloud.stop();
      lock.release();
    },
  };
}

/**
 * The world the browser tests run in: the real local cloud (an "engine" account whose IAM user
 * is the engine's identity, a "workload" account where roles are created), the real engine
 * listening on a free port and serving the built dashboard, and headless Chromium.
 */
import { execFileSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateOpenIDConnectProviderCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { runEngineServer, createLogger, type RunningEngine } from '@hangar/engine';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ENGINE_ACCOUNT = '100000000001';
export const WORKLOAD_ACCOUNT = '200000000002';
const CHROMIUM = '/usr/bin/chromium';
const dashboardRoot = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Why the browser tests cannot run here, or false. CI sets HANGAR_TEST_BROWSER and installs chromium. */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.HANGAR_TEST_BROWSER) return false; // CI: fail loudly at launch instead of skipping
  return `${CHROMIUM} is missing: install Debian's chromium package (or set HANGAR_TEST_BROWSER=1 to make this a failure)`;
}

export const screenshotDir = join(process.env.HANGAR_TEST_OUTPUT ?? join(repoRoot, 'test-output'), 'screenshots');

/** Build the dashboard once if a clean clone has not (npm test builds it first anyway). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(dashboardRoot, 'dist', 'index.html'))) return;
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: dashboardRoot, stdio: 'inherit' });
}

export interface World {
  readonly cloud: LocalCloud;
  readonly engine: RunningEngine;
  readonly url: string;
  readonly browser: Browser;
  readonly logs: string[];
  /** Make every Lambda call the engine makes take this long (real AWS is slower than the local cloud). */
  setLambdaLatency(ms: number): void;
  /**
   * Create a role in the workload account with this trust policy and admin permissions, so it can
   * deploy; `{ permissions: false }` leaves it without any (every deployment call is refused).
   */
  createRole(name: string, trustPolicy: unknown, opts?: { permissions?: boolean }): Promise<string>;
  /** Create the workload account's IAM OIDC provider for an issuer (what a web-identity role's trust policy names). */
  createOidcProvider(url: string, clientIds: string[]): Promise<void>;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  ensureDashboardBuilt();
  mkdirSync(screenshotDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-dash-e2e-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const close = async () => { for (const c of cleanups.reverse()) await c(); };
  try {
    const cloud = await startLocalCloud({ port: 0, log: () => {} });
    cleanups.push(() => cloud.stop());
    const iam = async (account: string) => {
      const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: account });
      const c = new IAMClient({ region: 'us-east-1', endpoint: cloud.endpoint, credentials: { accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey } });
      cleanups.push(() => c.destroy());
      return c;
    };
    const engineIam = await iam(ENGINE_ACCOUNT);
    const workloadIam = await iam(WORKLOAD_ACCOUNT);
    await engineIam.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await engineIam.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'assume-provider-roles',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] }),
    }));
    const key = (await engineIam.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;

    const latency = { lambda: 0 };
    const proxy = await startLatencyProxy(cloud.endpoint, latency);
    cleanups.push(() => new Promise<void>((resolve) => { proxy.closeAllConnections(); proxy.close(() => resolve()); }));
    const proxyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    const logs: string[] = [];
    const engine = await runEngineServer({
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'info', write: (l) => { logs.push(l); if (process.env.HANGAR_TEST_PRINT_LOGS) process.stderr.write(`${l}\n`); } }),
      config: {
        publicUrl: 'http://127.0.0.1:0',
        dataDir,
        database: { kind: 'sqlite', path: join(dataDir, 'hangar.db') },
        aws: { region: 'us-east-1', endpoint: proxyEndpoint, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } },
        limits: { maxFiles: 10_000, maxTotalBytes: 64 * 1024 * 1024, maxFileBytes: 16 * 1024 * 1024, maxManifestEntries: 10_000 },
        workers: 1,
      },
    });
    cleanups.push(() => engine.close());
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    cleanups.push(() => browser.close());
    return {
      cloud, engine, url: engine.url, browser, logs, close,
      setLambdaLatency(ms) { latency.lambda = ms; },
      async createRole(name, trustPolicy, opts = {}) {
        const r = await workloadIam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trustPolicy), MaxSessionDuration: 3600 }));
        if (opts.permissions !== false) await workloadIam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
        return r.Role!.Arn!;
      },
      async createOidcProvider(url, clientIds) {
        await workloadIam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: clientIds }));
      },
      async newPage() {
        const context = await browser.newContext({ baseURL: engine.url, viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
        const page = await context.newPage();
        page.setDefaultTimeout(20_000); // generous: CI runs these next to every other test on two cores
        return page;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * A pass-through in front of the local cloud that can slow down one service, so a deployment lasts
 * long enough to be watched while it runs. Headers (Host included) pass unchanged, so SigV4
 * signatures still verify.
 */
function startLatencyProxy(target: string, latency: { lambda: number }): Promise<Server> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const delay = service === 'lambda' ? latency.lambda : 0;
    setTimeout(() => {
      const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(up);
    }, delay);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** Sign in through the form, as a person would. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/**
 * Apps of several instances, end to end with the real `hangar` binary, the embedded engine and the
 * local cloud: two http-function instances where site's environment references users' URL
 * (`${output:users.url}`). One `hangar deploy` at the app root deploys users, then site with its URL
 * (the reverse of the folders' order); a deploy inside site's folder alone resolves it from stored
 * outputs; `hangar remove` at the root removes site before users and leaves no function, API, role or log group of the app.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiGatewayV2Client, GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import type { Embedded } from '@hangar/local';
import { browserSkip, launchChromium, startQuietEmbedded } from './embedded.js';
import { run } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

interface AppJson {
  appDeploymentId: string | null;
  status: string;
  instances: { name: string; status: string; deploymentId: string | null; outputs: { url?: string }; error: { code: string; message: string } | null }[];
  error?: { code: string; message: string };
}

const handler = [
  'export const handler = async () => ({',
  '  statusCode: 200, headers: { "content-type": "application/json" },',
  '  body: JSON.stringify({ me: process.env.ME, aUrl: process.env.A_URL ?? null }),',
  '});',
  '',
].join('\n');

function instance(dir: string, env: Record<string, string>): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src/index.mjs'), handler);
  writeFileSync(join(dir, 'hangar.yml'), [
    'component: http-function', 'inputs:', '  src: ./src', '  handler: index.handler', '  memory: 128', '  env:',
    ...Object.entries(env).map(([k, v]) => `    ${k}: "${v}"`), '',
  ].join('\n'));
}

describe('apps of several instances wired by ${output:}, end to end', { timeout: 300_000 }, () => {
  let work: string;
  let home: string;
  let appDir: string;
  let embedded: Embedded;
  let firstAppDeployment = '';

  const cli = async (args: string[], cwd: string) => {
    const r = await run(process.execPath, [cliBin, ...args], cwd, {
      PATH: process.env.PATH ?? '', HOME: home, HANGAR_HOME: join(home, '.hangar'), HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken!,
    });
    return { code: r.code, stdout: r.out, stderr: r.err };
  };
  const json = async (args: string[], cwd: string) => {
    const r = await cli([...args, '--json'], cwd);
    try {
      return { ...r, json: JSON.parse(r.stdout) as AppJson };
    } catch {
      return assert.fail(`no JSON from hangar ${args.join(' ')} (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hangar-apps-e2e-'));
    home = join(work, 'home');
    appDir = join(work, 'wired');
    mkdirSync(home, { recursive: true });
    mkdirSync(appDir, { recursive: true });
    writeFileSync(join(appDir, 'hangar.yml'), 'app: wired\nstage: dev\n');
    instance(join(appDir, 'users'), { ME: 'users' });
    instance(join(appDir, 'site'), { ME: 'site', A_URL: '${output:users.url}' });
    embedded = await startQuietEmbedded(work);
  });

  after(async () => {
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('one deploy at the root deploys users, then site with users\' URL in its environment; progress is prefixed with each instance\'s name', async () => {
    const r = await json(['deploy'], appDir);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.json.status, 'succeeded', JSON.stringify(r.json));
    firstAppDeployment = r.json.appDeploymentId!;
    assert.deepEqual(r.json.instances.map((i) => [i.name, i.status]), [['users', 'succeeded'], ['site', 'succeeded']]);
    const [a, b] = r.json.instances; // users, site
    const fromB = await (await fetch(b!.outputs.url!)).json() as { me: string; aUrl: string };
    assert.deepEqual(fromB, { me: 'site', aUrl: a!.outputs.url });
    const fromA = await (await fetch(fromB.aUrl)).json() as { me: string };
    assert.equal(fromA.me, 'users');

    // Unchanged, so without --refresh each instance would end `skipped` (no cloud call); --refresh deploys them again.
    const plain = await cli(['deploy', '--refresh'], appDir);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /Deploying app wired\/dev: users, site/);
    assert.match(plain.stderr, /\[users\] succeeded/);
    assert.match(plain.stderr, /\[site \] queued \(deployment dep_/);
    assert.match(plain.stdout, /^site \(http-function\): succeeded$/m);

    const info = await cli(['info'], appDir);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /app wired\/dev: 2 instances\nsite \(http-function, site\/hangar\.yml\) deployed/);
  });

  test('a deploy inside one instance\'s folder deploys just it, resolving its reference from stored outputs', async () => {
    const r = await cli(['deploy', '--json', '--refresh'], join(appDir, 'site'));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const d = JSON.parse(r.stdout) as { status: string; outputs: { url: string } };
    assert.equal(d.status, 'succeeded');
    const fromB = await (await fetch(d.outputs.url)).json() as { aUrl: string };
    assert.match(fromB.aUrl, /^http/);

    // A reference to an instance that was never deployed is refused before anything runs, naming it.
    const solo = join(work, 'solo');
    instance(solo, { X: '${output:nope.url}' });
    writeFileSync(join(solo, 'hangar.yml'), `app: wired\nname: solo\n${readFileSync(join(solo, 'hangar.yml'), 'utf8')}`);
    const bad = await cli(['deploy'], solo);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /hangar\.yml: inputs\.env\.X: \$\{output:nope\.url\} refers to instance wired\/dev\/nope, which is not an instance of this app and has never been deployed/);
  });

  test('the dashboard shows the app deployment: each instance\'s status and a link to its log', { skip: browserSkip }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ baseURL: embedded.dashboardUrl });
      await page.goto('/');
      await page.getByLabel('API token').fill(embedded.ownerToken!);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await page.goto(`/orgs/${embedded.orgId}/instances`);
      // The instances page links the newest app deployment of the app (the single-instance deploy
      // above); the first, whole-app one is opened by its URL.
      await page.getByRole('link', { name: /app deploy/ }).first().waitFor();
      await page.goto(`/orgs/${embedded.orgId}/app-deployments/${firstAppDeployment}`);
      const row = page.locator('tr[data-instance="site"]');
      await row.waitFor();
      assert.match((await row.textContent())!, /succeeded/);
      assert.match((await row.textContent())!, /users/, 'what it waits for');
      assert.match((await page.locator('tr[data-instance="users"]').textContent())!, /succeeded/);
      await row.getByRole('link', { name: 'log' }).click();
      await page.getByTestId('deployment-log').locator('.log-line').first().waitFor();
    } finally {
      await browser.close();
    }
  });

  test('remove at the root removes site before users and leaves no function, API, role or log group of the app in the cloud', async () => {
    const r = await json(['remove'], appDir);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(r.json.status, 'succeeded', JSON.stringify(r.json));
    assert.deepEqual(r.json.instances.map((i) => [i.name, i.status]), [['site', 'succeeded'], ['users', 'succeeded']]);
    const state = JSON.parse(readFileSync(join(work, 'data', 'embedded.json'), 'utf8')) as { region: string; accounts: { workloadRoot: { accessKeyId: string; secretAccessKey: string } } };
    const opts = { region: state.region, endpoint: embedded.cloudUrl, credentials: state.accounts.workloadRoot };
    const ofApp = (names: (string | undefined)[]) => names.filter((n) => n?.includes('wired'));
    const lambda = new LambdaClient(opts);
    const apis = new ApiGatewayV2Client(opts);
    const iam = new IAMClient(opts);
    const logs = new CloudWatchLogsClient(opts);
    try {
      assert.deepEqual(ofApp((await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName) ?? []), []);
      assert.deepEqual(ofApp((await apis.send(new GetApisCommand({}))).Items?.map((x) => x.Name) ?? []), []);
      assert.deepEqual(ofApp((await iam.send(new ListRolesCommand({}))).Roles?.map((x) => x.RoleName) ?? []), []);
      assert.deepEqual(ofApp((await logs.send(new DescribeLogGroupsCommand({}))).logGroups?.map((x) => x.logGroupName) ?? []), []);
    } finally {
      lambda.destroy(); apis.destroy(); iam.destroy(); logs.destroy();
    }
  });
});

/**
 * examples/todo end to end: one `hangar deploy` at its root deploys the table, then the Express
 * API (with the table's name, and a role allowed that table and nothing else), then the website
 * (with the API's URL in env.js); Chromium adds a todo through the page and still sees it after a
 * reload; and `hangar remove` at the root leaves no bucket, table, function, API, role or log
 * group of the app.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiGatewayV2Client, GetApisCommand } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import type { Embedded } from '@hangar/local';
import { browserSkip, launchChromium, startQuietEmbedded } from './embedded.js';
import { run } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

interface AppJson {
  appDeploymentId: string | null;
  status: string;
  instances: { name: string; component: string; status: string; deploymentId: string | null; outputs: Record<string, string>; error: { code: string; message: string } | null }[];
}

/** GET through the loopback address with the URL's host name: Node does not resolve `*.localhost` (browsers do). */
function getText(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port: u.port, path: u.pathname, headers: { host: u.host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

/** What `npm install` in api/src would put in node_modules: express and its dependencies, copied from the repo's. */
function installExpress(into: string): void {
  const require = createRequire(import.meta.url);
  const modules = dirname(dirname(require.resolve('express/package.json')));
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const from = join(modules, name);
    cpSync(from, join(into, 'node_modules', name), { recursive: true, dereference: true });
    const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  visit('express');
}

describe('examples/todo: website + express + table, one deploy at the root', { timeout: 300_000 }, () => {
  let work: string;
  let home: string;
  let app: string;
  let embedded: Embedded;
  let deployed: AppJson;

  const cli = async (args: string[]) => {
    const r = await run(process.execPath, [cliBin, ...args], app, {
      PATH: process.env.PATH ?? '', HOME: home, HANGAR_HOME: join(home, '.hangar'), HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken!,
    });
    return { code: r.code, stdout: r.out, stderr: r.err };
  };
  const json = async (args: string[]): Promise<AppJson> => {
    const r = await cli([...args, '--json']);
    let out: AppJson;
    try { out = JSON.parse(r.stdout) as AppJson; } catch { return assert.fail(`no JSON from hangar ${args.join(' ')} (exit ${r.code}): ${r.stdout}\n${r.stderr}`); }
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    return out;
  };
  const engineGet = async (path: string) => {
    const res = await fetch(`${embedded.engineUrl}${path}`, { headers: { authorization: `Bearer ${embedded.ownerToken}` } });
    assert.equal(res.status, 200, await res.clone().text());
    return res.json() as Promise<Record<string, unknown>>;
  };

  /** SDK options for the local cloud's workload account (where the app's resources are), as root. */
  const cloudOptions = () => {
    const state = JSON.parse(readFileSync(join(work, 'data', 'embedded.json'), 'utf8')) as { region: string; accounts: { workloadRoot: { accessKeyId: string; secretAccessKey: string } } };
    return { region: state.region, endpoint: embedded.cloudUrl, credentials: state.accounts.workloadRoot };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hangar-todo-e2e-'));
    home = join(work, 'home');
    app = join(work, 'todo');
    mkdirSync(home, { recursive: true });
    cpSync(join(root, 'examples/todo'), app, { recursive: true, filter: (src) => !src.includes('node_modules') });
    installExpress(join(app, 'api/src'));
    embedded = await startQuietEmbedded(work);
  });

  after(async () => {
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('one hangar deploy at the root deploys table, api and site in dependency order, each with what it references', async () => {
    deployed = await json(['deploy']);
    assert.equal(deployed.status, 'succeeded', JSON.stringify(deployed, null, 2));
    assert.deepEqual(deployed.instances.map((i) => [i.name, i.component, i.status]), [['table', 'table', 'succeeded'], ['api', 'express', 'succeeded'], ['site', 'website', 'succeeded']]);
    const [table, api, site] = deployed.instances;
    // Each started only after the one it references had finished.
    const dep = (id: string | null) => engineGet(`/api/v1/orgs/${embedded.orgId}/deployments/${id}`) as Promise<{ startedAt: string; finishedAt: string; inputs: Record<string, unknown> }>;
    const [t, a, s] = await Promise.all([dep(table!.deploymentId), dep(api!.deploymentId), dep(site!.deploymentId)]);
    assert.ok(a.startedAt >= t.finishedAt, `api started ${a.startedAt}, before the table finished ${t.finishedAt}`);
    assert.ok(s.startedAt >= a.finishedAt, `site started ${s.startedAt}, before the api finished ${a.finishedAt}`);
    assert.deepEqual(a.inputs.env, { TABLE: table!.outputs.name });
    assert.deepEqual(s.inputs.env, { apiUrl: api!.outputs.url });
    // The API works against its table.
    const posted = await fetch(`${api!.outputs.url!.replace(/\/+$/, '')}/todos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'from the test' }) });
    assert.equal(posted.status, 201, await posted.clone().text());
    // The API's role may touch its table (and the table's indexes) and nothing else.
    const iam = new IAMClient(cloudOptions());
    try {
      const role = (await iam.send(new ListRolesCommand({}))).Roles?.find((r) => r.RoleName?.includes('todo-dev-api'));
      assert.ok(role?.RoleName, 'the API\'s execution role');
      const policy = await iam.send(new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName: 'hangar-permissions' }));
      const doc = JSON.parse(decodeURIComponent(policy.PolicyDocument!)) as { Statement: { Action: string[]; Resource: string[] }[] };
      const resources = new Set(doc.Statement.flatMap((st) => [st.Resource].flat()));
      assert.deepEqual([...resources].sort(), [table!.outputs.arn, `${table!.outputs.arn}/index/*`].sort());
      assert.ok(doc.Statement.some((st) => [st.Action].flat().includes('dynamodb:PutItem')));
    } finally {
      iam.destroy();
    }
    const env = await getText(`${site!.outputs.url}env.js`);
    assert.match(env, new RegExp(`"apiUrl": "${api!.outputs.url!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
  });

  test('Chromium opens the site, adds a todo through the page, reloads and still sees it', { skip: browserSkip }, async () => {
    const site = deployed.instances.find((i) => i.name === 'site')!;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(site.outputs.url!);
      await page.getByRole('list', { name: 'Todos' }).getByText('from the test').waitFor();
      await page.getByPlaceholder('What needs doing?').fill('buy milk');
      await page.getByRole('button', { name: 'Add' }).click();
      await page.getByRole('list', { name: 'Todos' }).getByText('buy milk').waitFor();
      await page.reload();
      await page.getByRole('list', { name: 'Todos' }).getByText('buy milk').waitFor();
      assert.equal(await page.getByRole('list', { name: 'Todos' }).locator('li').count(), 2);
    } finally {
      await browser.close();
    }
  });

  test('hangar remove at the root removes site, api, then table, and leaves nothing of the app in the cloud', async () => {
    const opts = cloudOptions();
    const ofApp = (names: (string | undefined)[]) => names.filter((n) => n?.includes('todo'));
    const s3 = new S3Client({ ...opts, forcePathStyle: true });
    const dynamodb = new DynamoDBClient(opts);
    const lambda = new LambdaClient(opts);
    const apis = new ApiGatewayV2Client(opts);
    const iam = new IAMClient(opts);
    const logs = new CloudWatchLogsClient(opts);
    /** Everything of the app the cloud lists, by kind. */
    const ofTheApp = async () => ({
      buckets: ofApp((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name) ?? []),
      tables: ofApp((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []),
      functions: ofApp((await lambda.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName) ?? []),
      apis: ofApp((await apis.send(new GetApisCommand({}))).Items?.map((x) => x.Name) ?? []),
      roles: ofApp((await iam.send(new ListRolesCommand({}))).Roles?.map((x) => x.RoleName) ?? []),
      logGroups: ofApp((await logs.send(new DescribeLogGroupsCommand({}))).logGroups?.map((x) => x.logGroupName) ?? []),
    });
    try {
      // The listing finds the app's resources while they exist (so "none left" below means removed).
      const before = await ofTheApp();
      for (const [kind, names] of Object.entries(before)) assert.ok(names.length > 0, `no ${kind} of the app listed before the remove`);
      const removed = await json(['remove']);
      assert.equal(removed.status, 'succeeded', JSON.stringify(removed, null, 2));
      assert.deepEqual(removed.instances.map((i) => [i.name, i.status]), [['site', 'succeeded'], ['api', 'succeeded'], ['table', 'succeeded']]);
      assert.deepEqual(await ofTheApp(), { buckets: [], tables: [], functions: [], apis: [], roles: [], logGroups: [] });
    } finally {
      s3.destroy(); dynamodb.destroy(); lambda.destroy(); apis.destroy(); iam.destroy(); logs.destroy();
    }
  });
});

// Kept in step with examples/todo: the folders this test expects are the example's.
assert.deepEqual(readdirSync(join(root, 'examples/todo')).filter((f) => !f.includes('.')).sort(), ['api', 'site', 'table']);

/**
 * The product's promise, end to end with real processes: the `hangar` binary (with planted fake
 * cloud credentials everywhere a careless tool would look), the engine and the local cloud. Every
 * byte between CLI and engine, and between engine and cloud, goes through recording proxies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { startEmbedded, type Embedded } from '@hangar/local';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

const CANARY = {
  accessKeyId: 'AKIAHANGARCANARY0001',
  secretAccessKey: 'hangarCanarySecret0123456789abcdefghijklm',
  sessionToken: 'hangarCanarySessionToken0123456789XYZ',
  profile: 'hangar-canary-profile',
  region: 'eu-canary-7',
  dotenvSecret: 'dotenvCanarySecretValue4242',
};
const canaries = Object.values(CANARY);

interface CliResult { code: number; stdout: string; stderr: string }

/** What `hangar deploy --json` prints (the fields these tests read). */
interface DeployJson {
  deploymentId: string;
  status: string;
  outputs: { url?: string };
  provider: { name: string | null; roleArn: string | null };
  upload: { files: number; uploadedFiles: number; uploadedBytes: number; sentBytes: number };
  error?: { code: string; message: string };
}

function lines(logs: string[]): string { return logs.join('\n'); }

/** Every row of every table of the engine's SQLite store, as text. */
function dumpDatabase(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
    return tables.map((t) => `${t.name}\n${JSON.stringify(db.prepare(`select * from "${t.name}"`).all())}`).join('\n');
  } finally {
    db.close();
  }
}

function readTree(dir: string): string {
  if (!existsSync(dir)) return '';
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p}\n${readFileSync(p).toString('latin1')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

function assertAbsent(haystack: string, needles: readonly string[], where: string): void {
  for (const n of needles) assert.ok(!haystack.includes(n), `${where} contains "${n.slice(0, 6)}…"`);
}

describe('keyless deploys, end to end', { timeout: 240_000 }, () => {
  let work: string;
  let home: string;
  let project: string;
  let embedded: Embedded;
  let toEngine: RecordingProxy;
  let toCloud: RecordingProxy | undefined;
  const engineLog: string[] = [];

  const cli = async (args: string[], env: Record<string, string>): Promise<CliResult> => {
    try {
      const r = await run(process.execPath, [cliBin, ...args], {
        cwd: project,
        env: {
          PATH: process.env.PATH ?? '', HOME: home, HANGAR_HOME: join(home, '.hangar'),
          AWS_ACCESS_KEY_ID: CANARY.accessKeyId, AWS_SECRET_ACCESS_KEY: CANARY.secretAccessKey,
          AWS_SESSION_TOKEN: CANARY.sessionToken, AWS_PROFILE: CANARY.profile, AWS_REGION: CANARY.region,
          AWS_DEFAULT_REGION: CANARY.region, ...env,
        },
        maxBuffer: 16 * 1024 * 1024,
      });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
    }
  };
  const deployJson = async (env: Record<string, string>, extra: string[] = []) => {
    const r = await cli(['deploy', '--json', ...extra], env);
    let json = {} as DeployJson;
    try { json = JSON.parse(r.stdout) as DeployJson; } catch { assert.fail(`deploy --json printed no JSON object (exit ${r.code}): ${r.stdout}\n${r.stderr}`); }
    return { ...r, json };
  };
  const cloudActions = (from: number) => toCloud!.exchanges.slice(from).map((e) => {
    const target = e.requestHeaders['x-amz-target'];
    if (typeof target === 'string') return target;
    const action = /(?:^|&)Action=([^&]+)/.exec(e.requestBody.toString('utf8'))?.[1];
    return action ?? `${e.method} ${e.url.split('?')[0]}`;
  });
  const writeHandler = (greeting: string) => writeFileSync(join(project, 'src/index.mjs'), [
    '// Answers with what the function can see of its own environment.',
    'export const handler = async () => ({',
    '  statusCode: 200, headers: { "content-type": "application/json" },',
    `  body: JSON.stringify({ greeting: ${JSON.stringify(greeting)}, env: process.env }),`,
    '});',
    '',
  ].join('\n'));

  before(async () => {
    if (!existsSync(cliBin)) await run('npx', ['tsc', '-b', 'packages/cli'], { cwd: root });
    work = mkdtempSync(join(tmpdir(), 'hangar-e2e-'));
    home = join(work, 'home');
    project = join(work, 'project');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws/credentials'), `[default]\naws_access_key_id = ${CANARY.accessKeyId}\naws_secret_access_key = ${CANARY.secretAccessKey}\naws_session_token = ${CANARY.sessionToken}\n`);
    writeFileSync(join(home, '.aws/config'), `[profile ${CANARY.profile}]\nregion = ${CANARY.region}\n`);
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, '.env'), `AWS_ACCESS_KEY_ID=${CANARY.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${CANARY.dotenvSecret}\n`);
    writeFileSync(join(project, 'src/.env'), `SECRET=${CANARY.dotenvSecret}\n`);
    writeFileSync(join(project, 'hangar.yml'), [
      'component: http-function', 'name: api', 'app: shop', 'stage: dev',
      'inputs:', '  src: ./src', '  handler: index.handler', '  memory: 128', '  timeout: 5',
      '  env:', '    GREETING: ${env:GREETING}', '',
    ].join('\n'));
    writeHandler('one');

    const logLine = (level: string) => (msg: string, fields?: Record<string, unknown>) => engineLog.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
    const logger = {
      debug: logLine('debug'), info: logLine('info'), warn: logLine('warn'), error: logLine('error'),
      addSecret: () => {}, removeSecret: () => {}, child: () => logger,
    };
    embedded = await startEmbedded({
      dataDir: join(work, 'data'), port: 0, cloudPort: 0, logger,
      engineCloudEndpoint: async (endpoint) => (toCloud = await startRecordingProxy(endpoint)).url,
    });
    toEngine = await startRecordingProxy(embedded.engineUrl);
  });

  after(async () => {
    await toEngine?.close();
    await toCloud?.close();
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const login = () => ({ HANGAR_URL: toEngine.url, HANGAR_TOKEN: embedded.ownerToken! });

  test('a deploy goes through the provider, and no planted credential reaches the engine, the cloud, the store or the function', async () => {
    const cloudBefore = toCloud!.exchanges.length;
    const r = await deployJson({ ...login(), GREETING: 'one' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, 'succeeded', JSON.stringify(r.json));
    assert.equal(r.json.provider.roleArn, embedded.roleArn);
    assert.ok(r.json.upload.uploadedFiles >= 1);
    assert.match(r.stderr + r.stdout, /./);
    const actions = cloudActions(cloudBefore);
    assert.ok(actions.includes('AssumeRole'), `engine assumed the provider role: ${actions.join(', ')}`);
    assert.ok(!r.json.upload.files || r.json.upload.files === 1, 'the .env file in src was not uploaded');

    const answer = await fetch(r.json.outputs.url!);
    assert.equal(answer.status, 200);
    const body = (await answer.json()) as { greeting: string; env: Record<string, string> };
    assert.equal(body.greeting, 'one');
    assert.equal(body.env.GREETING, 'one');
    assert.match(body.env.AWS_ACCESS_KEY_ID ?? '', /^ASIA/, 'the function runs with its execution role session');

    const everywhere = [
      ['CLI -> engine traffic', toEngine.text()],
      ['engine -> cloud traffic', toCloud!.text()],
      ['engine store', dumpDatabase(join(work, 'data/engine/hangar.db'))],
      ['blob store and packages', readTree(join(work, 'data/engine'))],
      ['engine log', lines(engineLog)],
      ['function environment', JSON.stringify(body.env)],
      ['cloud data dir', readTree(join(work, 'data/cloud'))],
    ] as const;
    for (const [where, text] of everywhere) assertAbsent(text, canaries, where);
  });

  test('the session credentials the cloud issued appear in no row, log line, event or answer', async () => {
    const issued = toCloud!.exchanges
      .filter((e) => /Action=AssumeRole(&|$)/.test(e.requestBody.toString('utf8')) && e.status === 200)
      .flatMap((e) => {
        const xml = e.responseBody.toString('utf8');
        return ['AccessKeyId', 'SecretAccessKey', 'SessionToken'].map((tag) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1]).filter((v): v is string => !!v);
      });
    assert.ok(issued.length >= 3, 'the engine assumed the role at least once');
    const secrets = issued.filter((v) => !v.startsWith('ASIA'));
    assertAbsent(dumpDatabase(join(work, 'data/engine/hangar.db')), issued, 'engine store (audit events, deployments, logs)');
    assertAbsent(lines(engineLog), issued, 'engine log');
    assertAbsent(toEngine.text(), issued, 'everything the engine answered the CLI');
    assertAbsent(readTree(join(work, 'data/engine')), secrets, 'engine data dir');
  });

  test('an unchanged redeploy uploads nothing and makes no AWS call at all (skipped); --refresh checks the cloud but updates nothing; a one-file change uploads that file and updates only the code', async () => {
    let from = toCloud!.exchanges.length;
    const same = await deployJson({ ...login(), GREETING: 'one' });
    assert.equal(same.json.status, 'skipped', JSON.stringify(same.json));
    assert.equal(same.json.upload.uploadedBytes, 0);
    assert.equal(same.json.upload.uploadedFiles, 0);
    assert.deepEqual(cloudActions(from), [], 'a no-op deploy sends nothing to the cloud, not even AssumeRole');
    const text = await cli(['deploy'], { ...login(), GREETING: 'one' });
    assert.match(text.stdout + text.stderr, /No changes; nothing deployed \(use --refresh to check for drift\)/);
    assert.equal(toCloud!.exchanges.length, from);

    const refreshed = await deployJson({ ...login(), GREETING: 'one' }, ['--refresh']);
    assert.equal(refreshed.json.status, 'succeeded', JSON.stringify(refreshed.json));
    let actions = cloudActions(from);
    assert.ok(actions.includes('AssumeRole'), `--refresh assumed the role to check the cloud: ${actions.join(', ')}`);
    assert.ok(!actions.some((a) => /\/configuration$|\/code$/.test(a) && a.startsWith('PUT')), `no update calls: ${actions.join(', ')}`);

    writeHandler('two');
    from = toCloud!.exchanges.length;
    const changed = await deployJson({ ...login(), GREETING: 'one' });
    assert.equal(changed.json.status, 'succeeded', JSON.stringify(changed.json));
    assert.equal(changed.json.upload.uploadedFiles, 1);
    assert.ok(changed.json.upload.sentBytes < 2048 + changed.json.upload.uploadedBytes, `sent ${changed.json.upload.sentBytes} bytes`);
    actions = cloudActions(from);
    assert.ok(actions.some((a) => a.startsWith('PUT') && a.endsWith('/code')), `UpdateFunctionCode was called: ${actions.join(', ')}`);
    assert.ok(!actions.some((a) => a.startsWith('PUT') && a.endsWith('/configuration')), `no configuration update: ${actions.join(', ')}`);
    const answer = (await (await fetch(changed.json.outputs.url!)).json()) as { greeting: string };
    assert.equal(answer.greeting, 'two');
  });

  test('with no provider linked, a deploy fails naming the commands that fix it, and nothing reaches the cloud', async () => {
    const other = await embedded.engine.engine.bootstrap.createOrg({ name: 'no-provider', owner: { email: 'b@example.com' } });
    const from = toCloud!.exchanges.length;
    const r = await deployJson({ HANGAR_URL: toEngine.url, HANGAR_TOKEN: other.token.token, GREETING: 'x' });
    assert.notEqual(r.code, 0);
    assert.equal(r.json.status, 'failed');
    assert.equal(r.json.error?.code, 'PROVIDER_NOT_CONFIGURED');
    assert.match(r.json.error?.message ?? '', /hangar providers create/);
    assert.match(r.json.error?.message ?? '', /hangar providers link/);
    assert.equal(toCloud!.exchanges.length, from, `the engine sent nothing to the cloud: ${cloudActions(from).join(', ')}`);
  });

  test('two deploys of one instance started together both finish, in turn, and the final state is the later one', async () => {
    const [a, b] = await Promise.all([
      deployJson({ ...login(), GREETING: 'first' }),
      new Promise((r) => setTimeout(r, 150)).then(() => deployJson({ ...login(), GREETING: 'second' })),
    ]);
    assert.equal(a.json.status, 'succeeded', JSON.stringify(a.json));
    assert.equal(b.json.status, 'succeeded', JSON.stringify(b.json));
    const orgId = embedded.orgId;
    const get = async (id: string) => {
      const res = await fetch(`${embedded.engineUrl}/api/v1/orgs/${orgId}/deployments/${id}`, { headers: { authorization: `Bearer ${embedded.ownerToken}` } });
      type Times = { createdAt: string; startedAt: string; finishedAt: string };
      const j = (await res.json()) as Times & { deployment?: Times };
      return j.deployment ?? j;
    };
    const [da, db] = [await get(a.json.deploymentId), await get(b.json.deploymentId)];
    const [firstRun, secondRun, secondGreeting] = da.createdAt <= db.createdAt ? [da, db, 'second'] : [db, da, 'first'];
    assert.ok(firstRun.finishedAt <= secondRun.startedAt, 'one ran after the other, not at the same time');
    const answer = (await (await fetch(a.json.outputs.url!)).json()) as { env: Record<string, string> };
    assert.equal(answer.env.GREETING, secondGreeting);
  });

  test('a link in src to ~/.aws/credentials, and src: ~/.aws, are refused: no manifest, blob or deployment reaches the engine', async () => {
    const yml = readFileSync(join(project, 'hangar.yml'), 'utf8');
    const link = join(project, 'src', 'aws.ini');
    symlinkSync(join(home, '.aws', 'credentials'), link);
    const engineFrom = toEngine.exchanges.length;
    const cloudFrom = toCloud!.exchanges.length;
    try {
      const linked = await deployJson({ ...login(), GREETING: 'x' });
      assert.equal(linked.code, 1);
      assert.equal(linked.json.error?.code, 'CLI_SOURCE_LINK_OUTSIDE', JSON.stringify(linked.json));
      assert.match(linked.json.error?.message ?? '', /"aws\.ini" -> .*\/home\/\.aws\/credentials/);
      rmSync(link);
      writeFileSync(join(project, 'hangar.yml'), yml.replace('src: ./src', 'src: ../home/.aws'));
      const atAws = await deployJson({ ...login(), GREETING: 'x' });
      assert.equal(atAws.json.error?.code, 'CLI_SOURCE_REFUSED', JSON.stringify(atAws.json));
    } finally {
      rmSync(link, { force: true });
      writeFileSync(join(project, 'hangar.yml'), yml);
    }
    const sent = toEngine.exchanges.slice(engineFrom).map((e) => `${e.method} ${e.url.split('?')[0]}`);
    assert.deepEqual(sent, ['GET /api/v1/whoami'], 'the first deploy opened its session, the second did not even do that');
    assertAbsent(toEngine.text(), canaries, 'CLI -> engine traffic');
    assert.equal(toCloud!.exchanges.length, cloudFrom, 'nothing reached the cloud');
  });
});

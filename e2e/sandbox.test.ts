/**
 * Issue 8, points 1 and 2, end to end through `hangar up`'s embedded default (engine + local
 * cloud in this process, port 0, temp data dir, temp HANGAR_HOME holding a real login): a probe
 * function deployed with `hangar deploy` tries every read a hostile function would (the host's
 * and its parent's environment, the data dir with the engine's IAM secret, SQLite file and OIDC
 * signing key, $HANGAR_HOME with the owner's token, ~/.aws, /etc/passwd), spawning a process or
 * a worker, and the cloud's /_local/accounts — and gets nothing, while it still reads its own
 * files, writes its temp dir, calls AWS with its role and answers HTTP. The admin routes refuse
 * a missing or wrong token and a foreign Host; the engine refuses a handler outside the source.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { main, writeLogin, type CommandContext } from '@hangar/cli';
import { createAccount } from '@hangar/local-cloud';
import { startEmbedded, type Embedded } from '@hangar/local';
import { breakages, escapes, SANDBOX_PROBE, type ProbeReport } from '../packages/local-cloud/src/lambda/sandbox-probe.js';

const HOST_CANARY = 'host-env-canary-e2e-83c1f0';
const AWS_CANARY = { accessKeyId: 'AKIASANDBOXCANARY001', secretAccessKey: 'sandboxCanarySecret0123456789abcdefghij' };

function ctxFor(cwd: string, env: Record<string, string>): CommandContext & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    cwd, env,
    stdout: { write: (s: string) => { out += s; return true; } },
    stderr: { write: (s: string) => { err += s; return true; } },
    out: () => out, err: () => err,
  };
}

/** A raw HTTP request with any Host header (fetch always sends the URL's own). */
function rawPost(endpoint: string, path: string, host: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path, headers: { host, 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('functions deployed through hangar up cannot read the host; the local cloud admin is locked', { timeout: 240_000 }, () => {
  let work: string;
  let home: string;
  let hangarHome: string;
  let data: string;
  let embedded: Embedded;

  const hangar = async (project: string, args: string[]) => {
    const ctx = ctxFor(project, { HANGAR_HOME: hangarHome, HOME: home, PATH: process.env.PATH ?? '' });
    const code = await main(args, ctx);
    return { code, out: ctx.out(), err: ctx.err() };
  };
  const project = (name: string, handler: string, files: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'hangar.yml'), [
      'component: http-function', `name: ${name}`, 'app: sandbox', 'stage: dev',
      'inputs:', '  src: ./src', `  handler: ${JSON.stringify(handler)}`, '  memory: 256', '  timeout: 30', '',
    ].join('\n'));
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, 'src', f), text);
    return dir;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'hangar-e2e-sandbox-'));
    home = join(work, 'home');
    hangarHome = join(home, '.hangar');
    data = join(work, 'data');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(join(home, '.aws', 'credentials'), `[default]\naws_access_key_id = ${AWS_CANARY.accessKeyId}\naws_secret_access_key = ${AWS_CANARY.secretAccessKey}\n`);
    // The engine and the cloud run in this process: a function reading its parent's environment reads this.
    process.env.HANGAR_E2E_HOST_CANARY = HOST_CANARY;
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, addSecret: () => {}, removeSecret: () => {}, child: () => quiet };
    embedded = await startEmbedded({ dataDir: data, port: 0, cloudPort: 0, logger: quiet });
    writeLogin(hangarHome, { url: embedded.engineUrl, token: embedded.ownerToken!, orgId: embedded.orgId });
    // The OIDC signing key is created on first use: make sure there is one to steal.
    assert.equal((await fetch(`${embedded.engineUrl}/.well-known/jwks.json`)).status, 200);
  });

  after(async () => {
    delete process.env.HANGAR_E2E_HOST_CANARY;
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('a probe function gets nothing of the host, and still reads its files, writes its tmp, calls AWS and answers HTTP', async () => {
    const secrets = {
      'embedded state (engine IAM secret, workload root keys)': join(data, 'embedded.json'),
      'engine sqlite': join(data, 'engine', 'hangar.db'),
      'engine secret key (decrypts the signing keys)': join(data, 'engine', 'secret-key'),
      'cloud admin token': join(data, 'cloud', 'admin-token'),
      'cloud state': join(data, 'cloud', 'state.json'),
      'hangar login (owner token)': join(hangarHome, 'config.json'),
      'planted ~/.aws credentials': join(home, '.aws', 'credentials'),
    };
    for (const [what, file] of Object.entries(secrets)) assert.ok(existsSync(file), `${what} exists at ${file}: the probe must find something to steal`);
    const dir = project('probe', 'index.handler', { 'index.mjs': SANDBOX_PROBE, 'data.txt': 'my own data' });
    const deployed = await hangar(dir, ['deploy', '--json']);
    assert.equal(deployed.code, 0, `${deployed.out}\n${deployed.err}`);
    const url = (JSON.parse(deployed.out) as { outputs: { url: string } }).outputs.url;

    // The better-sqlite3 addon the engine itself loads: a real native module to try.
    const addon = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    const res = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ paths: secrets, dirs: { 'data dir': data, 'hangar home': hangarHome, 'home': home }, addon }),
    });
    assert.equal(res.status, 200, 'the function answers HTTP');
    const text = await res.text();
    const report = JSON.parse(text) as ProbeReport;
    assert.deepEqual(escapes(report), [], 'every escape attempt is refused');
    assert.deepEqual(breakages(report), [], 'what a function needs still works');
    assert.equal(report.allow['own file']?.value, 'my own data');
    assert.equal(report.allow['tmp write']?.value, 'written in tmp');
    assert.match(String(report.allow['sdk with role']?.value), /^arn:aws:sts::200000000002:assumed-role\//);
    assert.equal(report.deny['read parent environ']?.code, 'ERR_ACCESS_DENIED');
    assert.equal(report.deny['spawn sync']?.code, 'ERR_ACCESS_DENIED');
    assert.equal(report.deny['worker']?.code, 'ERR_ACCESS_DENIED');
    assert.equal(report.deny['native addon']?.code, 'ERR_DLOPEN_DISABLED');
    assert.equal(report.deny['admin route']?.code, 'HTTP 401');
    assert.equal(report.env.HANGAR_E2E_HOST_CANARY, undefined, 'the host environment is not inherited');

    const state = JSON.parse(readFileSync(join(data, 'embedded.json'), 'utf8')) as { accounts: { engineUser: { secretAccessKey: string }; workloadRoot: { secretAccessKey: string } } };
    const login = readFileSync(join(hangarHome, 'config.json'), 'utf8');
    assert.ok(login.includes(embedded.ownerToken!));
    for (const [what, secret] of [
      ['host env canary', HOST_CANARY], ['owner token', embedded.ownerToken!], ['admin token', embedded.cloud.adminToken],
      ['engine IAM secret', state.accounts.engineUser.secretAccessKey], ['workload root secret', state.accounts.workloadRoot.secretAccessKey],
      ['~/.aws canary', AWS_CANARY.secretAccessKey], ['~/.aws key id', AWS_CANARY.accessKeyId],
    ] as const) {
      assert.ok(!text.includes(secret), `the function's answer holds the ${what}`);
    }
  });

  test('/_local/accounts refuses no token, a wrong token and a foreign Host; the embedded default holds the token', async () => {
    const endpoint = embedded.cloudUrl;
    const none = await fetch(`${endpoint}/_local/accounts`, { method: 'POST', body: '{}' });
    assert.equal(none.status, 401);
    const wrong = await fetch(`${endpoint}/_local/accounts`, { method: 'POST', headers: { authorization: 'Bearer hlc_not-the-token-0000000000000000000000000' }, body: '{}' });
    assert.equal(wrong.status, 403);
    const authorization = `Bearer ${embedded.cloud.adminToken}`;
    assert.equal(await rawPost(endpoint, '/_local/accounts', 'attacker.example:80', { authorization }), 403, 'DNS rebinding: a foreign Host is refused even with the token');
    assert.equal(readFileSync(join(data, 'cloud', 'admin-token'), 'utf8').trim(), embedded.cloud.adminToken, 'the token is in <data-dir>/cloud/admin-token');
    const root = await createAccount(endpoint, { adminToken: embedded.cloud.adminToken, accountId: '200000000002' });
    assert.match(root.accessKeyId, /^AKIA/);
  });

  test('the engine refuses a handler outside the source before deploying anything', async () => {
    const root = await createAccount(embedded.cloudUrl, { adminToken: embedded.cloud.adminToken, accountId: '200000000002' });
    const lambda = new LambdaClient({ endpoint: embedded.cloudUrl, region: 'us-east-1', credentials: root });
    try {
      const before = (await lambda.send(new ListFunctionsCommand({}))).Functions?.length ?? 0;
      for (const handler of ['../../../../etc/passwd.handler', '/etc/passwd.handler']) {
        const dir = project('escape', handler, { 'index.mjs': 'export const handler = async () => 1;' });
        const r = await hangar(dir, ['deploy', '--json']);
        assert.notEqual(r.code, 0, handler);
        assert.match(`${r.out}\n${r.err}`, /COMPONENT_INPUTS_INVALID/, handler);
        assert.match(`${r.out}\n${r.err}`, /inputs\.handler: expected a file inside src/, handler);
      }
      assert.equal((await lambda.send(new ListFunctionsCommand({}))).Functions?.length ?? 0, before, 'no function was created');
    } finally {
      lambda.destroy();
    }
  });
});

/**
 * Keyless operations on deployed functions, end to end with the real `hangar` binary against the
 * embedded engine and local cloud: a function that logs a marker and one that throws. The CLI
 * reads their runtime logs (once and live), their health, invokes them and smoke-tests a deploy,
 * all through the engine with no cloud credentials; `hangar remove` deletes the log group
 * (checked through the cloud's own CloudWatch Logs API); bad input gets a clear error and code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startEmbedded, type Embedded } from '@hangar/local';
import { run, type RunResult } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cliBin = join(root, 'packages/cli/dist/bin.js');

interface LogEventJson { id: string; message: string; requestId: string | null; kind: string; errorType: string | null }

function project(dir: string, name: string, handler: string, files: Record<string, string>): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'hangar.yml'), ['component: http-function', `name: ${name}`, 'app: ops', 'stage: dev', 'inputs:', '  src: ./src', `  handler: ${handler}`, '  memory: 128', '  timeout: 5', ''].join('\n'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'src', file), text);
}

describe('function operations through the CLI, end to end', { timeout: 300_000 }, () => {
  let work: string;
  let embedded: Embedded;
  let env: Record<string, string>;
  const dirs = { ok: '', boom: '', noHandler: '' };
  const urls = { ok: '', boom: '' };
  let okFunction = '';

  const cli = (dir: string, args: string[]): Promise<RunResult> => run(process.execPath, [cliBin, ...args], dir, env);
  const ok = (r: RunResult, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.out}\n${r.err}`);
  const logsJson = async (dir: string, args: string[] = []) => {
    const r = await cli(dir, ['logs', '--json', ...args]);
    ok(r, 'logs --json');
    return r.out.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as LogEventJson);
  };

  before(async () => {
    // The e2e tests run the built binary: build it (incremental, quick when up to date).
    const built = await run('npx', ['tsc', '-b', 'packages/cli'], root);
    assert.equal(built.code, 0, `tsc -b packages/cli: ${built.out}${built.err}`);
    work = mkdtempSync(join(tmpdir(), 'hangar-e2e-fnops-'));
    dirs.ok = join(work, 'ok');
    dirs.boom = join(work, 'boom');
    dirs.noHandler = join(work, 'no-handler');
    project(dirs.ok, 'echo', 'index.handler', {
      'index.mjs': [
        'export const handler = async (event) => {',
        '  const marker = event.queryStringParameters?.m ?? event.marker ?? "none";',
        '  console.log(`marker:${marker}`);',
        '  return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ marker, path: event.rawPath ?? null }) };',
        '};', '',
      ].join('\n'),
    });
    project(dirs.boom, 'boom', 'index.handler', { 'index.mjs': 'export const handler = async () => {\n  throw new Error("boom");\n};\n' });
    project(dirs.noHandler, 'nohandler', 'index.handler', { 'other.mjs': 'export const handler = async () => ({ statusCode: 200 });\n' });
    const quiet = { debug() {}, info() {}, warn() {}, error() {}, addSecret() {}, removeSecret() {}, child: () => quiet };
    embedded = await startEmbedded({ dataDir: join(work, 'data'), port: 0, cloudPort: 0, logger: quiet });
    env = { PATH: process.env.PATH ?? '', HOME: join(work, 'home'), HANGAR_HOME: join(work, 'home', '.hangar'), HANGAR_URL: embedded.engineUrl, HANGAR_TOKEN: embedded.ownerToken! };

    for (const which of ['ok', 'boom'] as const) {
      const r = await cli(dirs[which], ['deploy', '--json']);
      ok(r, `deploy ${which}`);
      const outputs = (JSON.parse(r.out) as { outputs: { url: string; functionName: string } }).outputs;
      urls[which] = outputs.url;
      if (which === 'ok') okFunction = outputs.functionName;
    }
  });

  after(async () => {
    await embedded?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('hangar logs shows a request\'s marker line within 2 s of the answer', async () => {
    const answer = await fetch(`${urls.ok}/hello?m=first-42`);
    assert.equal(answer.status, 200);
    const answered = Date.now();
    let r: RunResult;
    do {
      r = await cli(dirs.ok, ['logs', '--since', '5m']);
      ok(r, 'logs');
    } while (!r.out.includes('marker:first-42') && Date.now() - answered < 2_000);
    assert.match(r.out, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}[0-9a-f-]{36} {2}INFO marker:first-42\n/, r.out);
    assert.match(r.out, /START Version: \$LATEST/);
    const filtered = await cli(dirs.ok, ['logs', '--filter', '"marker:first-42"']);
    ok(filtered, 'logs --filter');
    assert.match(filtered.out, /marker:first-42/);
    assert.doesNotMatch(filtered.out, /START/, 'the filter is applied');
  });

  test('hangar logs --tail prints a new request\'s line live and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, [cliBin, 'logs', '--tail', '--since', '1m'], { cwd: dirs.ok, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const seen = (re: RegExp, where: () => string) => new Promise<void>((res, rej) => {
      const t = setInterval(() => { if (re.test(where())) { clearInterval(t); res(); } }, 50);
      void exited.then(() => { clearInterval(t); if (!re.test(where())) rej(new Error(`logs --tail exited before ${re}: ${out}\n${err}`)); else res(); });
    });
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    try {
      await seen(/following \/aws\/lambda\/\S+ live/, () => err);
      assert.equal((await fetch(`${urls.ok}/?m=live-7`)).status, 200);
      await seen(/marker:live-7/, () => out);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
    assert.match(out, /[0-9a-f-]{36} {2}INFO marker:live-7/);
  });

  test('hangar info shows the one error, Error: boom, with its request id', async () => {
    const answer = await fetch(urls.boom);
    assert.ok(answer.status >= 500, `the throwing function answers a 5xx, got ${answer.status}`);
    const events = await logsJson(dirs.boom, ['--since', '5m']);
    const error = events.find((e) => e.kind === 'error');
    assert.ok(error?.requestId, `an error event with a request id: ${JSON.stringify(events)}`);
    const r = await cli(dirs.boom, ['info']);
    ok(r, 'info');
    assert.match(r.out, /function \(last hour\): 1 invocation, 1 error, .*1 cold start/);
    assert.match(r.out, /last error:\n {2}Error: boom\n {4}request (\S+) at /);
    assert.equal(/request (\S+) at /.exec(r.out)?.[1], error.requestId);
    const j = await cli(dirs.boom, ['info', '--json']);
    ok(j, 'info --json');
    const health = (JSON.parse(j.out) as { health: { errors: number; lastError: { requestId: string; message: string } } }).health;
    assert.equal(health.errors, 1);
    assert.equal(health.lastError.requestId, error.requestId);
  });

  test('hangar deploy --smoke fails on the 5xx with the function\'s last error; the deployment stays', async () => {
    const r = await cli(dirs.boom, ['deploy', '--smoke']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /answered HTTP 5\d\d; the function's last error: Error: boom \(request [0-9a-f-]{36}\)\. The deployment stays.*\(CLI_SMOKE_FAILED\)/);
    const okSmoke = await cli(dirs.ok, ['deploy', '--smoke', '/ping']);
    ok(okSmoke, 'deploy --smoke on a healthy function');
    assert.match(okSmoke.err, /GET \S+\/ping answered 200/);
  });

  test('hangar invoke returns the payload and the log tail; a throwing function exits 1', async () => {
    const r = await cli(dirs.ok, ['invoke', '--data', '{"marker":"inv-3"}']);
    ok(r, 'invoke');
    assert.match(r.out, /inv-3/);
    assert.match(r.err, /Log tail of this invocation[\s\S]*marker:inv-3/);
    const http = await cli(dirs.ok, ['invoke', '--path', '/users/1', '--json']);
    ok(http, 'invoke --path');
    const reply = JSON.parse(http.out) as { payload: string; logTail: string; functionError: string | null };
    assert.equal(reply.functionError, null);
    assert.match(reply.payload, /\\"path\\":\\"\/users\/1\\"/);
    assert.match(reply.logTail, /REPORT RequestId/);
    const boom = await cli(dirs.boom, ['invoke']);
    assert.equal(boom.code, 1, boom.out + boom.err);
    assert.match(boom.err, /failed \(Unhandled\)/);
    assert.match(boom.out, /boom/);
  });

  test('a missing handler file is refused before anything is deployed', async () => {
    const r = await cli(dirs.noHandler, ['deploy']);
    assert.equal(r.code, 1);
    assert.match(r.err, /the handler "index\.handler" needs the file index\.js, index\.mjs, index\.cjs.*\(COMPONENT_HANDLER_NOT_FOUND\)/);
    const info = await cli(dirs.noHandler, ['info']);
    assert.equal(info.code, 1);
    assert.match(info.err, /NOT_FOUND/, 'no instance was created');
  });

  test('bad input gets a clear error with its code', async () => {
    const since = await cli(dirs.ok, ['logs', '--since', 'yesterday']);
    assert.equal(since.code, 1);
    assert.match(since.err, /--since: "yesterday" is not a time; expected .*30s, 10m, 2h or 7d.*ISO-8601.*\(VALIDATION_FAILED\)/);
    const filter = await cli(dirs.ok, ['logs', '--filter', '{ $.level = ']);
    assert.equal(filter.code, 1);
    assert.match(filter.err, /filter.*\(FUNCTION_LOGS_FILTER_INVALID\)/i);
    const data = await cli(dirs.ok, ['invoke', '--data', '{marker: 1}']);
    assert.equal(data.code, 1);
    assert.match(data.err, /--data: not valid JSON .*\(VALIDATION_FAILED\)/);
  });

  test('hangar remove deletes the log group; invoke on the removed instance is refused with its code', async () => {
    const state = JSON.parse(readFileSync(join(work, 'data/embedded.json'), 'utf8')) as { region: string; accounts: { workloadRoot: { accessKeyId: string; secretAccessKey: string } } };
    const logs = new CloudWatchLogsClient({ endpoint: embedded.cloudUrl, region: state.region, credentials: state.accounts.workloadRoot });
    const group = `/aws/lambda/${okFunction}`;
    const groups = async () => (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups ?? [];
    assert.deepEqual((await groups()).map((g) => [g.logGroupName, g.retentionInDays]), [[group, 30]], 'the component created the group with its retention');
    ok(await cli(dirs.ok, ['remove']), 'remove');
    assert.deepEqual(await groups(), [], 'the log group is gone');
    const info = await cli(dirs.ok, ['info']);
    ok(info, 'info on a removed instance');
    assert.match(info.out, /function: not deployed \(removed\)/);
    const inv = await cli(dirs.ok, ['invoke']);
    assert.equal(inv.code, 1);
    assert.match(inv.err, /removed.*\([A-Z_]+\)/);
  });
});

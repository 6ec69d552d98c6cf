/**
 * `hangar logs`, `info`'s health block, `invoke` and `deploy --smoke` against a fake engine that
 * answers the function-operations routes of the contract: what is sent (query, body,
 * Last-Event-ID), what is printed, and the exit codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HangarError, isHangarError } from '@hangar/core';
import type { FunctionHealth, FunctionLogEvent } from '@hangar/core/api';
import { startFakeEngine, type FakeEngine } from '../testing/fake-engine.js';
import { tempProject, testContext, type TempProject } from '../testing/helpers.js';
import { login } from './login.js';
import { deploy, type DeployResult } from './deploy.js';
import { info, logs } from './instance.js';
import { invokeBody } from './invoke.js';
import { colorsFor, formatHealth, formatLogEvent, parseSince } from './function-render.js';
import { followFunctionLogs } from './function-follow.js';
import type { EngineClient } from '../engine-client.js';
import { main } from '../main.js';

const ESC = String.fromCharCode(27);
const REQ = '8f0e6c1a-2b3c-4d5e-8f90-0123456789ab';
const ev = (id: string, message: string, kind: FunctionLogEvent['kind'] = 'log', errorType: string | null = null): FunctionLogEvent => ({
  id, ts: '2026-12-01T10:00:00.123Z', stream: '2026/12/01/[$LATEST]abc', message, requestId: REQ, kind, errorType,
});
const boomRecord = `2026-12-01T10:00:00.200Z\t${REQ}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: 'Error', errorMessage: 'boom', stack: ['Error: boom', '    at Runtime.handler (file:///var/task/index.mjs:2:9)'] })}\n`;
const health: FunctionHealth = {
  logGroup: '/aws/lambda/shop-dev-api', window: { from: '2026-12-01T09:00:00.000Z', to: '2026-12-01T10:00:00.000Z' },
  invocations: 12, errors: 1, coldStarts: 2, durationMs: { p50: 3.2, p99: 41 },
  lastError: { requestId: REQ, ts: '2026-12-01T09:59:00.000Z', errorType: 'Error', message: 'boom', stack: ['Error: boom', 'at Runtime.handler (file:///var/task/index.mjs:2:9)'] },
};

describe('pure parts', () => {
  test('--since takes a relative age or an ISO time, and refuses anything else naming the flag and the forms', () => {
    for (const ok of ['30s', '10m', '2h', '7d', '2026-12-01T09:30:00Z', '2026-12-01T09:30:00.5+02:00', '2026-12-01']) assert.equal(parseSince(ok), ok);
    assert.equal(parseSince(undefined), undefined);
    for (const bad of ['10 minutes', 'yesterday', '10x', '', '-5m', '2026-13-45T00:00:00Z', '3000-01-01T00:00:00Z']) {
      assert.throws(() => parseSince(bad), (e: unknown) => isHangarError(e) && e.code === 'VALIDATION_FAILED' && e.message.startsWith('--since: ') && /30s, 10m, 2h or 7d/.test(e.message) && /ISO-8601/.test(e.message), bad);
    }
  });

  test('a log line shows time, request id and message once; an error record becomes its type, message and stack', () => {
    const plain = colorsFor({ isTTY: false });
    const line = formatLogEvent(ev('1', `2026-12-01T10:00:00.123Z\t${REQ}\tINFO\tmarker-42\n`), plain);
    assert.equal(line, `2026-12-01 10:00:00.123  ${REQ}  INFO marker-42\n`);
    assert.equal(formatLogEvent(ev('2', `START RequestId: ${REQ} Version: $LATEST\n`, 'start'), plain), `2026-12-01 10:00:00.123  ${REQ}  START Version: $LATEST\n`);
    const err = formatLogEvent(ev('3', boomRecord, 'error', 'Error'), plain);
    assert.match(err, /ERROR Invoke Error Error: boom\n {4}at Runtime\.handler \(file:\/\/\/var\/task\/index\.mjs:2:9\)\n$/);
    assert.ok(!err.includes(ESC), 'no colour when not a terminal');
    assert.ok(formatLogEvent(ev('3', boomRecord, 'error', 'Error'), colorsFor({ isTTY: true })).includes(`${ESC}[31mERROR Invoke Error Error: boom`), 'errors in red on a terminal');
    assert.ok(!formatLogEvent(ev('1', 'marker\n'), colorsFor({ isTTY: true })).includes(`${ESC}[31m`));
    assert.equal(formatLogEvent(ev('4', `2026-12-01T10:00:00.123Z\t${REQ}\tINFO\t{\n  "a": 1\n}\n`), plain), `2026-12-01 10:00:00.123  ${REQ}  INFO {\n      "a": 1\n    }\n`, 'a multi-line message keeps its indentation');
  });

  test('the health block counts the window and shows the last error with its request id, time and stack', () => {
    const text = formatHealth(health, colorsFor({})).join('\n');
    assert.match(text, /^function \(last hour\): 12 invocations, 1 error, p50 3\.2 ms, p99 41 ms, 2 cold starts/);
    assert.match(text, /last error:\n {2}Error: boom\n {4}request 8f0e6c1a-2b3c-4d5e-8f90-0123456789ab at 2026-12-01 09:59:00\.000\n {4}at Runtime\.handler/);
    assert.match(formatHealth({ ...health, invocations: 0, errors: 0, coldStarts: 0, durationMs: null, lastError: null }, colorsFor({})).join('\n'), /0 invocations, 0 errors, 0 cold starts/);
  });

  test('invoke flags become the request body; each bad one is refused naming the flag', () => {
    assert.deepEqual(invokeBody({}, '/'), { http: { method: 'GET', path: '/' } });
    assert.deepEqual(invokeBody({ data: '{"a":1}' }, '/'), { payload: { a: 1 } });
    assert.deepEqual(invokeBody({ path: '/users/1?x=2', method: 'put', header: ['Content-Type: application/json', 'x-a:b:c'], body: '{}' }, '/'),
      { http: { method: 'PUT', path: '/users/1?x=2', headers: { 'content-type': 'application/json', 'x-a': 'b:c' }, body: '{}' } });
    assert.equal((invokeBody({ body: 'x' }, '/') as { http: { method: string } }).http.method, 'POST', '--body alone posts');
    const refused = (o: Parameters<typeof invokeBody>[0], flag: string, what: RegExp) =>
      assert.throws(() => invokeBody(o, '/'), (e: unknown) => isHangarError(e) && e.code === 'VALIDATION_FAILED' && e.message.startsWith(`${flag}: `) && what.test(e.message), flag);
    refused({ data: '{name: x}' }, '--data', /not valid JSON .*got "\{name: x\}"/);
    refused({ data: '{}', dataFile: 'x.json' }, '--data', /not both/);
    refused({ data: '{}', path: '/x' }, '--data', /cannot be combined/);
    refused({ dataFile: 'nope.json' }, '--data-file', /cannot read .*nope\.json \(ENOENT\)/);
    refused({ method: 'FETCH' }, '--method', /GET, POST/);
    refused({ path: 'users' }, '--path', /starting with "\/"/);
    refused({ header: ['no-colon'] }, '--header', /NAME:VALUE/);
  });
});

test('--tail backs off between reconnects and gives up with CLI_ENGINE_CONNECTION_LOST; an engine refusal is not retried', async () => {
  let calls = 0;
  let answer: Error = new HangarError('CLI_ENGINE_UNREACHABLE', 'connect ECONNREFUSED');
  const client = { stream: async () => { calls++; throw answer; } } as unknown as EngineClient;
  const delays: number[] = [];
  const follow = () => followFunctionLogs(client, 'org_1', 'ins_1', {
    signal: new AbortController().signal, onEvent: () => {}, maxAttempts: 4,
    onReconnect: (_n, _why, d) => delays.push(d), sleep: async () => {},
  });
  await assert.rejects(follow(), (e: unknown) => isHangarError(e) && e.code === 'CLI_ENGINE_CONNECTION_LOST' && /CLI_ENGINE_UNREACHABLE/.test(e.message) && /after 4 tries/.test(e.message));
  assert.equal(calls, 5);
  assert.deepEqual(delays, [250, 500, 1000, 2000]);
  calls = 0;
  answer = new HangarError('AUTH_REQUIRED', 'The engine refused the token.');
  await assert.rejects(follow(), (e: unknown) => isHangarError(e) && e.code === 'AUTH_REQUIRED');
  assert.equal(calls, 1);
});

describe('commands against the engine', () => {
  let engine: FakeEngine;
  let p: TempProject;
  /** Per test: what the function routes answer. */
  let routes: (req: IncomingMessage, res: ServerResponse, rest: string, url: URL, body: Buffer) => boolean = () => false;
  const json = (res: ServerResponse, status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)); return true; };
  const ctx = () => testContext(p.dir, { HANGAR_HOME: p.home });
  const fnRequests = (from: number) => engine.requests.slice(from).filter((r) => /\/instances\/ins_1\//.test(r.url));

  before(async () => {
    engine = await startFakeEngine({ routes: (...a) => routes(...a) });
    p = tempProject();
    assert.equal(await login(ctx(), { url: engine.url, token: engine.token }), 0);
    assert.equal(await deploy(ctx(), {}), 0);
  });
  after(async () => { await engine.close(); p.cleanup(); });

  test('hangar logs asks for the since and filter given and prints each event; --json prints ndjson', async () => {
    routes = (req, res, rest) => rest === '/instances/ins_1/logs' && json(res, 200, {
      logGroup: '/aws/lambda/shop-dev-api', truncated: false,
      events: [ev('1', `2026-12-01T10:00:00.123Z\t${REQ}\tINFO\tmarker-42\n`), ev('2', boomRecord, 'error', 'Error')],
    });
    const from = engine.requests.length;
    const c = ctx();
    assert.equal(await logs(c, { since: '2h', filter: 'marker' }), 0, c.stderr.text());
    const url = new URL(fnRequests(from)[0]!.url, 'http://x');
    assert.equal(url.searchParams.get('since'), '2h');
    assert.equal(url.searchParams.get('filter'), 'marker');
    assert.match(c.stdout.text(), /INFO marker-42\n.*ERROR Invoke Error Error: boom/);
    const j = ctx();
    assert.equal(await logs(j, { json: true }), 0);
    const lines = j.stdout.text().trim().split('\n').map((l) => JSON.parse(l) as FunctionLogEvent);
    assert.deepEqual(lines.map((l) => l.kind), ['log', 'error']);
  });

  test('a bad --since is refused before any request; an error answer is printed with its code', async () => {
    const from = engine.requests.length;
    const c = ctx();
    assert.equal(await logs(c, { since: 'yesterday' }), 1);
    assert.match(c.stderr.text(), /--since: "yesterday" is not a time.*\(VALIDATION_FAILED\)/);
    assert.equal(engine.requests.length, from, 'nothing sent');
    routes = (req, res, rest) => rest === '/instances/ins_1/logs' && json(res, 400, { code: 'VALIDATION_FAILED', message: 'filter: CloudWatch Logs refused the pattern "[a" (InvalidParameterException)' });
    const f = ctx();
    assert.equal(await logs(f, { filter: '[a' }), 1);
    assert.match(f.stderr.text(), /refused the pattern "\[a".*\(VALIDATION_FAILED\)/);
    const d = ctx();
    assert.equal(await logs(d, { deployment: true, since: '1h' }), 1);
    assert.match(d.stderr.text(), /--deployment .*--since/);
  });

  test('--deployment prints the last deployment\'s own log, as before', async () => {
    const c = ctx();
    assert.equal(await main(['logs', '--deployment'], c), 0, c.stderr.text());
    assert.match(c.stdout.text(), /assuming arn:aws:iam::222222222222:role\/hangar-deployer/);
    const byId = ctx();
    assert.equal(await main(['logs', '--deployment', 'dep_1'], byId), 0, byId.stderr.text());
    assert.match(byId.stderr.text(), /Logs of deploy dep_1/);
  });

  test('--tail prints the backlog and live lines, resumes a dropped stream with Last-Event-ID without repeating a line, and stops on abort', async () => {
    const stop = new AbortController();
    const seenIds: (string | undefined)[] = [];
    let printed = '';
    const c = ctx();
    const out = { write: (s: string) => { printed += s; if (printed.includes('third')) stop.abort(); return true; }, isTTY: false };
    routes = (req, res, rest) => {
      if (rest !== '/instances/ins_1/logs/events') return false;
      const last = req.headers['last-event-id'] as string | undefined;
      seenIds.push(last);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (e: FunctionLogEvent) => res.write(`id: ${e.id}\nevent: log\ndata: ${JSON.stringify(e)}\n\n`);
      if (last === undefined) {
        send(ev('1', 'first\n'));
        res.write(`event: live\ndata: ${JSON.stringify({ logGroup: '/aws/lambda/shop-dev-api' })}\n\n`);
        send(ev('2', 'second\n'));
        res.end(); // the connection drops
      } else {
        send(ev('2', 'second\n')); // a server resuming one too early: not printed twice
        send(ev('3', 'third\n'));
      }
      return true;
    };
    assert.equal(await logs({ ...c, stdout: out }, { tail: true, since: '5m', signal: stop.signal }), 0, c.stderr.text());
    assert.deepEqual(seenIds, [undefined, '2']);
    assert.deepEqual(printed.trim().split('\n').map((l) => l.split(/\s+/).pop()), ['first', 'second', 'third']);
    assert.match(c.stderr.text(), /following \/aws\/lambda\/shop-dev-api live \(Ctrl-C to stop\)/);
    assert.match(c.stderr.text(), /log stream interrupted .*reconnecting/);
  });

  test('--tail ends with the code of an error event (the instance was removed)', async () => {
    routes = (req, res, rest) => {
      if (rest !== '/instances/ins_1/logs/events') return false;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: error\ndata: ${JSON.stringify({ code: 'NOT_FOUND', message: 'Instance shop/dev/api was removed.' })}\n\n`);
      return true;
    };
    const c = ctx();
    assert.equal(await logs(c, { tail: true, signal: new AbortController().signal }), 1);
    assert.match(c.stderr.text(), /was removed\. .*\(NOT_FOUND\)/);
  });

  test('info shows the health of the last hour; --json carries it; a summary the engine cannot give does not fail info', async () => {
    routes = (req, res, rest, url) => {
      if (rest !== '/instances/ins_1/health') return false;
      assert.equal(url.searchParams.get('since'), '1h');
      return json(res, 200, health);
    };
    const c = ctx();
    assert.equal(await info(c, {}), 0, c.stderr.text());
    assert.match(c.stdout.text(), /12 invocations, 1 error, p50 3\.2 ms, p99 41 ms, 2 cold starts[\s\S]*Error: boom\n.*request 8f0e6c1a/);
    const j = ctx();
    assert.equal(await info(j, { json: true }), 0);
    assert.deepEqual((JSON.parse(j.stdout.text()) as { health: unknown }).health, health);
    routes = (req, res, rest) => rest === '/instances/ins_1/health' && json(res, 502, { code: 'PROVIDER_ASSUME_FAILED', message: 'AWS refused to let the engine assume the role.' });
    const e = ctx();
    assert.equal(await info(e, {}), 0);
    assert.match(e.stdout.text(), /function: no health summary: AWS refused .*\(PROVIDER_ASSUME_FAILED\)/);
    routes = (req, res, rest) => rest === '/instances/ins_1/health' && json(res, 409, { code: 'FUNCTION_NOT_DEPLOYED', message: 'Its function was deleted outside Hangar.' });
    const gone = ctx();
    assert.equal(await info(gone, {}), 0);
    assert.match(gone.stdout.text(), /function: not deployed: Its function was deleted outside Hangar\.\n$/);
    routes = (req, res, rest) => rest === '/instances/ins_1/health' && json(res, 400, { code: 'FUNCTION_UNSUPPORTED', message: 'No function.' });
    const none = ctx();
    assert.equal(await info(none, {}), 0);
    assert.doesNotMatch(none.stdout.text(), /^function/m, 'a component without a function has no function line');
  });

  test('invoke prints the response and the log tail; a function error exits 1; --json prints the reply', async () => {
    let sent: unknown;
    const reply = { statusCode: 200, functionError: null, payload: '{"statusCode":200,"body":"hi"}', logTail: `START RequestId: ${REQ} Version: $LATEST\n2026-12-01T10:00:00.123Z\t${REQ}\tINFO\tmarker-42\nEND RequestId: ${REQ}\n`, requestId: REQ, durationMs: 4.2 };
    let answer: unknown = reply;
    routes = (req, res, rest, _url, body) => {
      if (rest !== '/instances/ins_1/invoke' || req.method !== 'POST') return false;
      sent = JSON.parse(body.toString());
      return json(res, 200, answer);
    };
    const c = ctx();
    assert.equal(await main(['invoke', '--path', '/hello', '--header', 'x-a: 1'], c), 0, c.stderr.text());
    assert.deepEqual(sent, { http: { method: 'GET', path: '/hello', headers: { 'x-a': '1' } } });
    assert.match(c.stdout.text(), /"body": "hi"/);
    assert.match(c.stderr.text(), /Invoked shop\/dev\/api in 4 ms, request 8f0e6c1a[\s\S]*Log tail.*\n {2}START Version: \$LATEST\n {2}INFO marker-42\n {2}END\n$/);
    answer = { ...reply, functionError: 'Unhandled', payload: '{"errorType":"Error","errorMessage":"boom"}' };
    answer = { ...answer as object, logTail: boomRecord };
    const f = ctx();
    assert.equal(await main(['invoke', '--data', '{"n":1}'], f), 1);
    assert.deepEqual(sent, { payload: { n: 1 } });
    assert.match(f.stderr.text(), /failed \(Unhandled\)[\s\S]*\n {2}ERROR Invoke Error Error: boom\n {6}at Runtime\.handler/);
    const j = ctx();
    assert.equal(await main(['invoke', '--json'], j), 1);
    assert.equal((JSON.parse(j.stdout.text()) as { functionError: string }).functionError, 'Unhandled');
    const bad = ctx();
    const from = engine.requests.length;
    assert.equal(await main(['invoke', '--data', '{oops'], bad), 1);
    assert.match(bad.stderr.text(), /--data: not valid JSON .*\(VALIDATION_FAILED\)/);
    assert.equal(engine.requests.length, from);
  });

  test('deploy --smoke: a 5xx fails the command with the function\'s last error; an unreachable URL says so; a 200 passes', async () => {
    const smokeStatus = { code: 500 };
    const smokeRequests: string[] = [];
    // The deployed URL (http://127.0.0.1:1/…) answers through this fetch; the engine through the real one.
    const fakeFetch: typeof fetch = async (input, init) => {
      const u = String(input instanceof Request ? input.url : input);
      if (!u.startsWith('http://127.0.0.1:1/')) return fetch(input, init);
      smokeRequests.push(u);
      if (smokeStatus.code === 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      return new Response('Internal Server Error', { status: smokeStatus.code });
    };
    routes = (req, res, rest) => rest === '/instances/ins_1/health' && json(res, 200, { ...health, lastError: { ...health.lastError!, ts: new Date().toISOString() } });
    const run = async (args: string[]) => {
      const c = { ...ctx(), fetch: fakeFetch };
      const code = await main(['deploy', ...args], c);
      return { code, out: c.stdout.text(), err: c.stderr.text() };
    };
    const failed = await run(['--smoke', 'health']);
    assert.equal(failed.code, 1);
    assert.deepEqual(smokeRequests, ['http://127.0.0.1:1/shop-dev/health']);
    assert.match(failed.err, /GET http:\/\/127\.0\.0\.1:1\/shop-dev\/health answered HTTP 500; the function's last error: Error: boom \(request 8f0e6c1a[^)]*\)\. The deployment stays.*\(CLI_SMOKE_FAILED\)/);
    assert.match(failed.err, /at Runtime\.handler/);
    assert.equal(engine.deployments.at(-1)!.status, 'succeeded', 'the deployment itself stays');

    const j = await run(['--smoke', '--json']);
    const result = JSON.parse(j.out) as DeployResult;
    assert.equal(j.code, 1);
    assert.equal(result.error?.code, 'CLI_SMOKE_FAILED');
    assert.equal(result.smoke?.status, 500);
    assert.equal(result.smoke?.lastError?.requestId, REQ);

    smokeStatus.code = 0;
    const down = await run(['--smoke']);
    assert.equal(down.code, 1);
    assert.match(down.err, /could not reach http:\/\/127\.0\.0\.1:1\/shop-dev\/ \(ECONNREFUSED\).*\(CLI_SMOKE_UNREACHABLE\)/);

    smokeStatus.code = 200;
    const ok = await run(['--smoke']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.err, /answered 200/);
  });
});

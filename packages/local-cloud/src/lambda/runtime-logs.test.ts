/**
 * What a function's failures look like, in the Invoke answer, its `LogType: Tail` and its log
 * group, against the formats of AWS's Node.js runtime (aws-lambda-nodejs-runtime-interface-client):
 * a handler that throws, a syntax error, a missing file, a missing export, a timeout, a stray
 * rejection, multi-line console output, and START/END/REPORT with Init Duration on a cold start.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { fixture, zipOf, type Fixture, closeFixture } from './test-support.js';

let fx: Fixture;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

before(async () => {
  fx = await fixture();
});

after(async () => {
  await closeFixture(fx);
});

async function deploy(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  await fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf(files) }, ...extra,
  }));
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
}

async function invoke(name: string, event: unknown = {}) {
  const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), LogType: 'Tail' }));
  const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
  return { out, tail, lines: tail.split('\n').filter(Boolean), body: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as Record<string, unknown> };
}

/** The JSON after `<label> \t` in the one log line that has it. */
function jsonAfter(lines: string[], label: string): Record<string, unknown> {
  const l = lines.find((x) => x.includes(`\tERROR\t${label} \t`));
  assert.ok(l, `no "${label}" line in:\n${lines.join('\n')}`);
  return JSON.parse(l.slice(l.indexOf(`${label} \t`) + label.length + 2)) as Record<string, unknown>;
}

test('a cold start logs START, the console lines (multi-line kept as one event), END and REPORT with Init Duration; Tail is base64 of it', async () => {
  await deploy('hello', { 'index.mjs': `console.log('loading');\nexport const handler = async () => { console.log('line one\\nline two'); console.warn({ a: 1 }); return 'ok'; };` });
  const { lines, body, out } = await invoke('hello');
  assert.equal(body as unknown, 'ok');
  assert.equal(out.FunctionError, undefined);
  const id = new RegExp(`^START RequestId: (${UUID}) Version: \\$LATEST$`).exec(lines.find((l) => l.startsWith('START')) ?? '')?.[1];
  assert.ok(id, lines.join('\n'));
  assert.match(lines[0] ?? '', new RegExp(`^${ISO}\\tundefined\\tINFO\\tloading$`), 'init output comes first, without a request id');
  assert.ok(lines.includes(`END RequestId: ${id}`));
  const tail = lines.join('\n');
  assert.match(tail, new RegExp(`${ISO}\\t${id}\\tINFO\\tline one\\nline two\\n`));
  assert.match(tail, new RegExp(`${ISO}\\t${id}\\tWARN\\t\\{ a: 1 \\}`));
  assert.match(lines.at(-1) ?? '', new RegExp(`^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms\\t$`));
  // Warm: no Init Duration.
  const warm = await invoke('hello');
  assert.match(warm.lines.at(-1) ?? '', /\tMax Memory Used: \d+ MB\t$/);
  // The multi-line console call is one event in the log group too.
  const events = (await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/hello', filterPattern: '"line two"' }))).events ?? [];
  assert.equal(events.length, 2);
  assert.match(events[0]?.message ?? '', /\tINFO\tline one\nline two$/);
});

test('Tail is the last 4 KB of the invocation\'s log', async () => {
  await deploy('chatty', { 'index.mjs': "export const handler = async () => { for (let i = 0; i < 100; i++) console.log('line ' + i + ' ' + 'x'.repeat(80)); return 1; };" });
  const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 'chatty', LogType: 'Tail' }));
  const tail = Buffer.from(out.LogResult ?? '', 'base64');
  assert.equal(tail.length, 4096);
  const text = tail.toString('utf8');
  assert.ok(text.includes('line 99 ') && !text.includes('line 1 '), 'the newest lines are kept');
  assert.match(text, /\nREPORT RequestId: [^\n]+\n$/);
});

test('a handler that throws: Invoke Error with errorType, errorMessage, its own properties and the stack; Invoke answers the trace', async () => {
  await deploy('thrower', { 'index.mjs': `export const handler = async () => { const e = new Error('boom'); e.code = 'E_BOOM'; e.detail = 42; throw e; };` });
  const { lines, body, out } = await invoke('thrower');
  assert.equal(out.FunctionError, 'Unhandled');
  assert.equal(body.errorType, 'Error');
  assert.equal(body.errorMessage, 'boom');
  assert.equal((body.trace as string[])[0], 'Error: boom');
  const logged = jsonAfter(lines, 'Invoke Error');
  assert.equal(logged.errorType, 'Error');
  assert.equal(logged.errorMessage, 'boom');
  assert.equal(logged.code, 'E_BOOM');
  assert.equal(logged.detail, 42);
  assert.equal((logged.stack as string[])[0], 'Error: boom');
  assert.match((logged.stack as string[])[1] ?? '', /^\s+at .*index\.mjs/);
  const line = lines.find((l) => l.includes('Invoke Error')) ?? '';
  assert.match(line, new RegExp(`^${ISO}\\t${UUID}\\tERROR\\tInvoke Error \\t\\{"errorType":"Error","errorMessage":"boom","code":"E_BOOM"`));
  assert.match(lines.at(-1) ?? '', /^REPORT .*\tInit Duration: [\d.]+ ms\t$/, 'a function error is not a runtime failure: no Status');

  await deploy('string-thrower', { 'index.js': `exports.handler = (event, context, cb) => cb('nope');` });
  const s = await invoke('string-thrower');
  assert.deepEqual(s.body, { errorType: 'string', errorMessage: 'nope', trace: [] });
  assert.equal(jsonAfter(s.lines, 'Invoke Error').errorMessage, 'nope');
});

test('init failures: missing file, missing export, syntax error, bad handler; each with INIT_REPORT and a REPORT naming the error type', async () => {
  const cases: [string, Record<string, string>, string, string, string][] = [
    ['missing-file', { 'other.mjs': 'export const x = 1;' }, 'index.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'index'\nRequire stack:\n- /var/runtime/index.mjs"],
    ['missing-export', { 'index.mjs': 'export const other = () => 1;' }, 'index.handler', 'Runtime.HandlerNotFound', 'index.handler is undefined or not exported'],
    ['not-a-function', { 'index.mjs': 'export const handler = 42;' }, 'index.handler', 'Runtime.HandlerNotFound', 'index.handler is not a function'],
    ['syntax', { 'index.mjs': 'export const handler = async () => { return 1;; ;' }, 'index.handler', 'Runtime.UserCodeSyntaxError', 'SyntaxError: Unexpected end of input'],
    ['cjs-syntax', { 'index.js': 'exports.handler = async () => { return ); };' }, 'index.handler', 'Runtime.UserCodeSyntaxError', "SyntaxError: Unexpected token ')'"],
    ['missing-package', { 'index.js': "const x = require('not-installed'); exports.handler = async () => x;" }, 'index.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'not-installed'"],
    // Installed beside the local cloud (not the SDK, nor one of its dependencies), not in the package: AWS's runtime does not have it either.
    ['not-in-the-package', { 'index.js': "const f = require('fastify'); exports.handler = async () => typeof f;" }, 'index.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'fastify'"],
    ['bad-handler', { 'index.mjs': 'export const handler = () => 1;' }, 'index', 'Runtime.MalformedHandlerName', 'Bad handler'],
  ];
  for (const [name, files, handler, type, message] of cases) {
    await deploy(name, files, { Handler: handler });
    const { lines, body, out } = await invoke(name);
    assert.equal(out.FunctionError, 'Unhandled', name);
    assert.equal(body.errorType, type, name);
    assert.ok(String(body.errorMessage).startsWith(message), `${name}: ${String(body.errorMessage)}`);
    assert.equal((body.trace as string[])[0], `${type}: ${message.split('\n')[0]}`, name);
    const logged = jsonAfter(lines, 'Uncaught Exception');
    assert.equal(logged.errorType, type, name);
    assert.ok(String(logged.errorMessage).startsWith(message), name);
    assert.ok(Array.isArray(logged.stack), name);
    assert.match(lines.find((l) => l.includes('Uncaught Exception')) ?? '', new RegExp(`^${ISO}\\tundefined\\tERROR\\tUncaught Exception \\t`), name);
    assert.match(lines.find((l) => l.startsWith('INIT_REPORT')) ?? '', new RegExp(`^INIT_REPORT Init Duration: \\d+\\.\\d\\d ms\\tPhase: init\\tStatus: error\\tError Type: ${type.replace('.', '\\.')}$`), name);
    const initAt = lines.findIndex((l) => l.startsWith('INIT_REPORT'));
    assert.ok(initAt < lines.findIndex((l) => l.startsWith('START')), `${name}: INIT_REPORT before START`);
    assert.match(lines.at(-1) ?? '', new RegExp(`^REPORT RequestId: ${UUID}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tStatus: error\\tError Type: ${type.replace('.', '\\.')}$`), name);
  }
});

test('a timeout: Task timed out after N.NN seconds, Sandbox.Timedout, REPORT with Status: timeout', async () => {
  await deploy('slow', { 'index.mjs': 'export const handler = () => new Promise(() => {});' }, { Timeout: 1 });
  const { lines, body } = await invoke('slow');
  assert.equal(body.errorType, 'Sandbox.Timedout');
  assert.match(String(body.errorMessage), new RegExp(`^RequestId: ${UUID} Error: Task timed out after 1\\.00 seconds$`));
  assert.ok(lines.some((l) => new RegExp(`^${ISO} ${UUID} Task timed out after 1\\.00 seconds$`).test(l)), lines.join('\n'));
  assert.match(lines.at(-1) ?? '', /^REPORT .*\tStatus: timeout$/);
});

test('a stray rejection ends the environment like AWS: Unhandled Promise Rejection, Runtime.UnhandledPromiseRejection', async () => {
  await deploy('stray', { 'index.mjs': "export const handler = async () => { Promise.reject(new Error('lost')); await new Promise((r) => setTimeout(r, 200)); return 'late'; };" }, { Timeout: 5 });
  const { lines, body, out } = await invoke('stray');
  assert.equal(out.FunctionError, 'Unhandled');
  assert.equal(body.errorType, 'Runtime.UnhandledPromiseRejection');
  assert.equal(body.errorMessage, 'Error: lost');
  const logged = jsonAfter(lines, 'Unhandled Promise Rejection');
  assert.equal(logged.errorType, 'Runtime.UnhandledPromiseRejection');
  assert.equal((logged.reason as { errorMessage: string }).errorMessage, 'lost');
  const next = await invoke('stray');
  assert.equal(next.body.errorType, 'Runtime.UnhandledPromiseRejection', 'a fresh environment serves the next request');
});

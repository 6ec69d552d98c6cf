/**
 * After UpdateFunctionCode / UpdateFunctionConfiguration of a warm function, its new sandbox is
 * started (and initialised) right away, so the first request after the deploy finds it ready:
 * no Init Duration in that request's REPORT, and no sandbox started for it. Counted through the
 * log streams: each sandbox writes its init line ('init <version>') to a stream of its own.
 * Idle functions start nothing; an init failure of the pre-started sandbox is what the first
 * request answers (INIT_REPORT, the runtime's error type), as after a cold start.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeLogStreamsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateFunctionCommand, InvokeCommand, UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { closeFixture, fixture, zipOf, type Fixture } from './test-support.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(async () => {
  await closeFixture(fx);
});

/** A handler that logs `init <v>` when loaded and answers its version and MODE. */
const code = (v: string) => zipOf({ 'index.js': `console.log('init ${v}');\nexports.handler = async () => ({ v: '${v}', mode: process.env.MODE ?? null });` });

async function deploy(name: string) {
  await fx.c.lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: code('v1') } }));
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
}

const settled = (FunctionName: string) => waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName });

async function invoke(name: string) {
  const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: name, LogType: 'Tail' }));
  const lines = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8').split('\n').filter(Boolean);
  return { out, lines, report: lines.find((l) => l.startsWith('REPORT')) ?? '', body: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as Record<string, unknown> };
}

/** The function's log streams (one per sandbox that wrote anything), with their messages. */
async function streams(name: string): Promise<string[][]> {
  const logGroupName = `/aws/lambda/${name}`;
  const list = await fx.c.logs.send(new DescribeLogStreamsCommand({ logGroupName })).catch(() => ({ logStreams: [] }));
  const out: string[][] = [];
  for (const s of list.logStreams ?? []) {
    const events = await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName, logStreamNames: [s.logStreamName as string] }));
    out.push((events.events ?? []).map((e) => e.message ?? ''));
  }
  return out;
}

test('the first request after UpdateFunctionCode of a warm function is served by the sandbox started at the update', async () => {
  await deploy('warm');
  assert.match((await invoke('warm')).report, /\tInit Duration: /, 'the first request ever is a cold start');
  assert.equal((await streams('warm')).length, 1);

  await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'warm', ZipFile: code('v2') }));
  await settled('warm');
  const first = await invoke('warm');
  assert.deepEqual(first.body, { v: 'v2', mode: null }, 'the new code answers');
  assert.doesNotMatch(first.report, /Init Duration/, 'initialised before the request');
  const after = await streams('warm');
  assert.equal(after.length, 2, 'one sandbox started for v2, none for the request');
  const v2 = after.find((s) => s.some((m) => m.endsWith('\tinit v2')));
  assert.ok(v2, 'the init line of v2 is in the log group');
  assert.ok(v2.findIndex((m) => m.endsWith('\tinit v2')) < v2.findIndex((m) => m.startsWith('START')), 'before the request\'s START');

  // A configuration change too (the environment), and twice in a row: at most one pre-started
  // sandbox per function; the first one, superseded, is stopped.
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'warm', Environment: { Variables: { MODE: 'a' } } }));
  await settled('warm');
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'warm', Environment: { Variables: { MODE: 'b' } } }));
  await settled('warm');
  const next = await invoke('warm');
  assert.deepEqual(next.body, { v: 'v2', mode: 'b' });
  assert.doesNotMatch(next.report, /Init Duration/);
  const all = await streams('warm');
  assert.equal(all.filter((s) => s.some((m) => m.startsWith('START'))).length, 3, 'v1, v2, MODE=b served; the superseded MODE=a one nothing');
  assert.ok(all.length <= 4, 'v1, v2, MODE=a (stopped at the next update: a stream if it logged before), MODE=b; none for the request');
});

test('an idle function starts nothing on an update: its first request is a cold start', async () => {
  await deploy('idle');
  await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'idle', ZipFile: code('v2') }));
  await settled('idle');
  assert.equal((await streams('idle')).length, 0, 'no sandbox started');
  const first = await invoke('idle');
  assert.deepEqual(first.body, { v: 'v2', mode: null });
  assert.match(first.report, /\tInit Duration: /);
  assert.ok(first.lines.some((l) => l.endsWith('\tinit v2')), 'the init lines in the Tail of the request that started it');
});

test('an init failure of the pre-started sandbox is what the first request answers, with INIT_REPORT, as after a cold start', async () => {
  await deploy('breaks');
  await invoke('breaks');
  await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'breaks', ZipFile: zipOf({ 'index.js': "console.log('init broken'); exports.other = 1;" }) }));
  await settled('breaks');
  const { out, body, lines, report } = await invoke('breaks');
  assert.equal(out.FunctionError, 'Unhandled');
  assert.equal(body.errorType, 'Runtime.HandlerNotFound');
  assert.equal(body.errorMessage, 'index.handler is undefined or not exported');
  assert.match(lines.find((l) => l.startsWith('INIT_REPORT')) ?? '', /^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.HandlerNotFound$/);
  assert.ok(lines.findIndex((l) => l.startsWith('INIT_REPORT')) < lines.findIndex((l) => l.startsWith('START')));
  assert.ok(lines.some((l) => l.endsWith('\tinit broken')) && lines.some((l) => l.includes('\tERROR\tUncaught Exception \t')), 'the init\'s lines are in its Tail');
  assert.match(report, /\tStatus: error\tError Type: Runtime\.HandlerNotFound$/);
  // In the log group too: the init's lines, then INIT_REPORT, START, END, REPORT, in one stream.
  const broken = (await streams('breaks')).find((s) => s.some((m) => m.endsWith('\tinit broken')));
  assert.ok(broken);
  assert.deepEqual(broken.map((m) => m.split(' ')[0]?.split('\t')[0]).filter((w) => /^[A-Z_]+$/.test(w ?? '')), ['INIT_REPORT', 'START', 'END', 'REPORT']);
  // The next request tries again (a fresh sandbox), and fails the same way.
  assert.equal((await invoke('breaks')).body.errorType, 'Runtime.HandlerNotFound');
});

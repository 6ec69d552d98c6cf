// The log stream's follow logic against a scripted CloudWatch Logs: backlog then live, each line
// once across overlapping polls, late lines inside the overlap, resume after Last-Event-ID, a
// transient failure retried, a refusal ending the stream with its code, keep-alive comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { parseSse } from '../deployments/_sse.js';
import type { InstanceView } from '../deployments/views.js';
import { createErrorHandler } from '../http/errors.js';
import { createLogger } from '../logger.js';
import { streamFunctionLogs } from './stream.js';
import { functionTarget } from './target.js';

const fnName = 'fn-1';
const target = functionTarget({
  id: 'ins_1', appId: 'app_1', app: 'shop', stage: 'dev', name: 'api', component: 'http-function', status: 'deployed', inputs: {},
  outputs: { functionName: fnName, functionArn: `arn:aws:lambda:us-east-1:222222222222:function:${fnName}` }, updatedAt: '', lastDeployment: null,
} as InstanceView);

type Page = { events: { eventId: string; timestamp: number; logStreamName: string; message: string }[] } | Error;
const ev = (id: string, timestamp: number, message = `line ${id}`) => ({ eventId: id, timestamp, logStreamName: 's1', message });
const awsError = (name: string) => Object.assign(new Error(name), { name, $metadata: { requestId: 'req-1' } });

/** A client answering FilterLogEvents from a script, recording each call's input. */
function scripted(pages: Page[], whenDone: () => Page = () => awsError('AccessDeniedException')) {
  const calls: { startTime?: number | undefined; filterPattern?: string | undefined }[] = [];
  const client = {
    async send(cmd: FilterLogEventsCommand) {
      calls.push({ startTime: cmd.input.startTime, filterPattern: cmd.input.filterPattern });
      const p = pages.shift() ?? whenDone();
      if (p instanceof Error) throw p;
      // As CloudWatch Logs: nothing older than startTime.
      return { events: p.events.filter((e) => e.timestamp >= (cmd.input.startTime ?? 0)) };
    },
    destroy() {},
  };
  return { client: client as unknown as CloudWatchLogsClient, calls };
}

async function run(pages: Page[], headers: Record<string, string> = {}, o: { stopping?: AbortSignal; whenDone?: () => Page } = {}) {
  const startTime = 500;
  const stopping = o.stopping;
  const { client, calls } = scripted(pages, o.whenDone);
  const app = Fastify();
  const logger = createLogger({ level: 'error', write: () => {} });
  app.get('/s', async (request, reply) => {
    await streamFunctionLogs({ clock: { now: () => new Date() }, logger, pollMs: 1, heartbeatMs: 0, overlapMs: 1000, recheckMs: 60_000, ...(stopping ? { stopping } : {}) }, request, reply,
      { target, client, recheck: async () => {} }, { startTime, filterPattern: 'line' });
  });
  const res = await app.inject({ url: '/s', headers });
  await app.close();
  return { res, frames: parseSse(res.body), calls };
}

test('backlog, live, then each new line once across overlapping polls (a late line inside the overlap included); a refusal ends it with its code', async () => {
  const { res, frames, calls } = await run([
    { events: [ev('a', 1000), ev('b', 1000)] },
    { events: [ev('a', 1000), ev('b', 1000), ev('c', 2000)] },
    { events: [ev('b', 1000), ev('d', 1500), ev('c', 2000)] },
    awsError('ThrottlingException'),
    { events: [ev('c', 2000), ev('e', 2100)] },
    awsError('AccessDeniedException'),
  ]);
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/event-stream/);
  const seq = frames.map((f) => (f.event === 'log' ? `log:${f.data.id}` : f.event));
  assert.deepEqual(seq, ['log:a', 'log:b', 'live', 'log:c', 'log:d', 'log:e', 'error']);
  const ids = frames.filter((f) => f.event === 'log').map((f) => f.id);
  assert.deepEqual(ids, ['1000.a', '1000.b', '2000.c', '1500.d', '2100.e']);
  assert.deepEqual(frames.at(-1)!.data.code, 'FUNCTION_AWS_ACCESS_DENIED', 'the transient throttle was retried, the refusal was not');
  assert.deepEqual(frames.find((f) => f.event === 'live')!.data, { logGroup: `/aws/lambda/${fnName}` });
  assert.match(res.body, /\n: keep-alive\n/);
  assert.ok(calls.every((c) => c.filterPattern === 'line'));
  assert.equal(calls[0]!.startTime, 500, 'the backlog starts at since');
  assert.ok(calls.slice(1).every((c) => c.startTime! >= 500), 'no poll reads before since');
  assert.deepEqual(calls.slice(2).map((c) => c.startTime), [1000, 1000, 1000, 1100], 'polls read from the newest line seen, less the overlap');
});

test('Last-Event-ID resumes after the last line the client saw, even within one millisecond', async () => {
  const { frames, calls } = await run([
    { events: [ev('a', 1000), ev('b', 1000), ev('c', 1000), ev('d', 1200)] },
    awsError('AccessDeniedException'),
  ], { 'last-event-id': '1000.b' });
  assert.equal(calls[0]!.startTime, 1000);
  assert.deepEqual(frames.filter((f) => f.event === 'log').map((f) => f.data.id), ['c', 'd']);
});

test('a refused filter or a denied read before the stream opens is an ordinary error reply, not a stream', async () => {
  const app = Fastify();
  app.setErrorHandler(createErrorHandler(createLogger({ level: 'error', write: () => {} })));
  const { client } = scripted([awsError('InvalidParameterException')]);
  app.get('/s', async (request, reply) => {
    await streamFunctionLogs({ clock: { now: () => new Date() }, logger: createLogger({ level: 'error', write: () => {} }) }, request, reply,
      { target, client, recheck: async () => {} }, { startTime: 0, filterPattern: '{ bad' });
  });
  const res = await app.inject({ url: '/s' });
  await app.close();
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'FUNCTION_LOGS_FILTER_INVALID');
  assert.match(res.json().message, /"\{ bad"/);
});

test('an engine that stops ends its open streams', async () => {
  const stop = new AbortController();
  // Empty pages for as long as the stream polls: the stop ends it, not a refusal.
  const { frames } = await run([{ events: [ev('a', 1000)] }], {}, { stopping: stop.signal, whenDone: () => { setImmediate(() => stop.abort()); return { events: [] }; } });
  assert.deepEqual(frames.map((f) => f.event), ['log', 'live']);
});

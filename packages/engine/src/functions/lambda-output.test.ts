// Recognising Lambda's output, in the shapes AWS writes (Node.js runtime interface client and the
// Lambda platform), and the health summary built from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLambdaLine } from './lambda-output.js';
import { createRecogniser, summarise, type RawLogEvent } from './recognise.js';

const rid = '6bc28136-xmpl-4365-b021-0ce6b2e64ab0';

test('START, END and REPORT lines, with a cold start\'s Init Duration', () => {
  assert.deepEqual(parseLambdaLine(`START RequestId: ${rid} Version: $LATEST\n`), { kind: 'start', requestId: rid, errorType: null });
  assert.deepEqual(parseLambdaLine(`END RequestId: ${rid}\n`), { kind: 'end', requestId: rid, errorType: null });
  const cold = parseLambdaLine(`REPORT RequestId: ${rid}\tDuration: 2.19 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 65 MB\tInit Duration: 150.34 ms\t\n`);
  assert.equal(cold.kind, 'report');
  assert.equal(cold.requestId, rid);
  assert.equal(cold.errorType, null);
  assert.deepEqual(cold.report, { durationMs: 2.19, billedDurationMs: 3, memorySizeMb: 128, maxMemoryUsedMb: 65, initDurationMs: 150.34, status: null, errorType: null });
  const warm = parseLambdaLine(`REPORT RequestId: ${rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 66 MB\t`);
  assert.equal(warm.report?.initDurationMs, null);
});

test('REPORT lines that carry a failure: timeout and out of memory', () => {
  const oom = parseLambdaLine(`REPORT RequestId: ${rid}\tDuration: 1200.00 ms\tBilled Duration: 1200 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory`);
  assert.equal(oom.errorType, 'Runtime.OutOfMemory');
  assert.equal(oom.report?.status, 'error');
  const slow = parseLambdaLine(`REPORT RequestId: ${rid}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout`);
  assert.equal(slow.errorType, 'Task timed out');
});

test('an uncaught exception in a handler (Invoke Error) with its stack', () => {
  const line = `2026-12-01T10:00:00.000Z\t${rid}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: 'Error', errorMessage: 'boom', stack: ['Error: boom', '    at Runtime.handler (file:///var/task/index.mjs:2:9)'] })}\n`;
  const p = parseLambdaLine(line);
  assert.equal(p.kind, 'error');
  assert.equal(p.requestId, rid);
  assert.equal(p.errorType, 'Error');
  assert.deepEqual(p.error, { message: 'boom', stack: ['Error: boom', '    at Runtime.handler (file:///var/task/index.mjs:2:9)'] });
  // The same with the `trace` key (what an invoke response carries).
  const t = parseLambdaLine(`2026-12-01T10:00:00.000Z\t${rid}\tERROR\tInvoke Error \t{"errorType":"TypeError","errorMessage":"x is not a function","trace":["TypeError: x is not a function"]}`);
  assert.deepEqual([t.errorType, t.error?.stack], ['TypeError', ['TypeError: x is not a function']]);
});

test('init errors: ImportModuleError, HandlerNotFound, UserCodeSyntaxError, with request id "undefined"', () => {
  for (const [errorType, errorMessage] of [
    ['Runtime.ImportModuleError', "Error: Cannot find module 'index'\nRequire stack:\n- /var/runtime/index.mjs"],
    ['Runtime.HandlerNotFound', 'index.handler is undefined or not exported'],
    ['Runtime.UserCodeSyntaxError', "SyntaxError: Unexpected token ';'"],
  ] as const) {
    const p = parseLambdaLine(`2026-12-01T10:00:00.000Z\tundefined\tERROR\tUncaught Exception \t${JSON.stringify({ errorType, errorMessage, stack: [`${errorType}: ${errorMessage}`, '    at _loadUserApp (file:///var/runtime/index.mjs:1:1)'] })}`);
    assert.equal(p.kind, 'error', errorType);
    assert.equal(p.requestId, null);
    assert.equal(p.errorType, errorType);
    assert.equal(p.error?.message, errorMessage);
    assert.equal(p.error?.stack.length, 2);
  }
  const rejected = parseLambdaLine(`2026-12-01T10:00:00.000Z\t${rid}\tERROR\tUnhandled Promise Rejection \t{"errorType":"Runtime.UnhandledPromiseRejection","errorMessage":"Error: late","stack":[]}`);
  assert.equal(rejected.errorType, 'Runtime.UnhandledPromiseRejection');
});

test('timeouts and a runtime that exited (out of memory)', () => {
  const t = parseLambdaLine(`2026-12-01T10:00:03.010Z ${rid} Task timed out after 3.00 seconds`);
  assert.deepEqual(t, { kind: 'error', requestId: rid, errorType: 'Task timed out', error: { message: 'Task timed out after 3.00 seconds', stack: [] } });
  const k = parseLambdaLine(`RequestId: ${rid} Error: Runtime exited with error: signal: killed`);
  assert.deepEqual([k.kind, k.requestId, k.errorType, k.error?.message], ['error', rid, 'Runtime.ExitError', 'Runtime exited with error: signal: killed']);
});

test('application lines are logs with their request id; console.error of a string is not a runtime error', () => {
  assert.deepEqual(parseLambdaLine(`2026-12-01T10:00:00.000Z\t${rid}\tINFO\tmarker-123\n`), { kind: 'log', requestId: rid, errorType: null });
  assert.deepEqual(parseLambdaLine(`2026-12-01T10:00:00.000Z\t${rid}\tERROR\tsomething odd`), { kind: 'log', requestId: rid, errorType: null });
  assert.deepEqual(parseLambdaLine('plain stdout write'), { kind: 'log', requestId: null, errorType: null });
  assert.deepEqual(parseLambdaLine('INIT_START Runtime Version: nodejs:20.v13\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc'), { kind: 'log', requestId: null, errorType: null });
  assert.deepEqual(parseLambdaLine('{"not":"lambda"}'), { kind: 'log', requestId: null, errorType: null });
  assert.deepEqual(parseLambdaLine('{broken json'), { kind: 'log', requestId: null, errorType: null });
});

test('the JSON log format: platform events and error lines', () => {
  assert.equal(parseLambdaLine(JSON.stringify({ time: '2026-12-01T10:00:00.000Z', type: 'platform.start', record: { requestId: rid, version: '$LATEST' } })).kind, 'start');
  const r = parseLambdaLine(JSON.stringify({ time: '2026-12-01T10:00:00.000Z', type: 'platform.report', record: { requestId: rid, metrics: { durationMs: 5.5, billedDurationMs: 6, memorySizeMB: 128, maxMemoryUsedMB: 70, initDurationMs: 99 }, status: 'timeout' } }));
  assert.deepEqual([r.kind, r.requestId, r.report?.durationMs, r.report?.initDurationMs, r.errorType], ['report', rid, 5.5, 99, 'Task timed out']);
  const e = parseLambdaLine(JSON.stringify({ timestamp: '2026-12-01T10:00:00.000Z', level: 'ERROR', requestId: rid, message: { errorType: 'Error', errorMessage: 'boom', stackTrace: ['Error: boom', '    at x'] } }));
  assert.deepEqual([e.kind, e.errorType, e.error?.message, e.error?.stack.length], ['error', 'Error', 'boom', 2]);
  const info = parseLambdaLine(JSON.stringify({ timestamp: '2026-12-01T10:00:00.000Z', level: 'INFO', requestId: rid, message: 'hi' }));
  assert.deepEqual(info, { kind: 'log', requestId: rid, errorType: null });
});

let n = 0;
const ev = (message: string, stream = 's1'): RawLogEvent => ({ eventId: String(++n).padStart(10, '0'), timestamp: Date.parse('2026-12-01T10:00:00Z') + n * 1000, logStreamName: stream, message });
const window = { from: new Date('2026-12-01T09:00:00Z'), to: new Date('2026-12-01T11:00:00Z') };

test('the recogniser attributes a line without request id to the invocation running in its stream', () => {
  const recognise = createRecogniser();
  const out = [
    ev(`START RequestId: ${rid} Version: $LATEST`),
    ev('raw stdout'),
    ev('other stream, nothing running', 's2'),
    ev(`END RequestId: ${rid}`),
    ev('after the end'),
  ].map(recognise);
  assert.deepEqual(out.map((o) => o.event.requestId), [rid, rid, null, rid, null]);
  assert.equal(out[0]!.event.ts, new Date(out[0]!.event.ts).toISOString());
  const multi = createRecogniser()(ev(`2026-12-01T10:00:00.000Z\t${rid}\tINFO\t{\r  a: 1\r}\n`));
  assert.equal(multi.event.message, `2026-12-01T10:00:00.000Z\t${rid}\tINFO\t{\n  a: 1\n}`, 'the runtime\'s \\r become newlines again');
});

test('health: invocations, cold starts, p50/p99, and errors counted once per invocation', () => {
  const a = 'aaaaaaaa-0000-4000-8000-000000000001';
  const b = 'bbbbbbbb-0000-4000-8000-000000000002';
  const c = 'cccccccc-0000-4000-8000-000000000003';
  const report = (id: string, ms: number, extra = '') => `REPORT RequestId: ${id}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t${extra}`;
  const events = [
    ev(`START RequestId: ${a} Version: $LATEST`),
    ev(`END RequestId: ${a}`),
    ev(report(a, 10, 'Init Duration: 100.00 ms\t')),
    ev(`START RequestId: ${b} Version: $LATEST`),
    ev(`2026-12-01T10:00:05.000Z\t${b}\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"boom","stack":["Error: boom","    at a","    at b","    at c","    at d","    at e","    at f","    at g","    at h","    at i","    at j","    at k"]}`),
    ev(`END RequestId: ${b}`),
    ev(report(b, 20)),
    ev(`START RequestId: ${c} Version: $LATEST`),
    ev(`2026-12-01T10:00:09.000Z ${c} Task timed out after 3.00 seconds`),
    ev(`END RequestId: ${c}`),
    ev(report(c, 3000, 'Status: timeout')),
  ];
  const recognise = createRecogniser();
  const h = summarise(events.map(recognise), window, '/aws/lambda/fn');
  assert.equal(h.logGroup, '/aws/lambda/fn');
  assert.deepEqual(h.window, { from: '2026-12-01T09:00:00.000Z', to: '2026-12-01T11:00:00.000Z' });
  assert.equal(h.invocations, 3);
  assert.equal(h.coldStarts, 1);
  assert.equal(h.errors, 2, 'the timeout line and its REPORT are one error');
  assert.deepEqual(h.durationMs, { p50: 20, p99: 3000 });
  assert.equal(h.lastError?.requestId, c);
  assert.equal(h.lastError?.errorType, 'Task timed out');

  const onlyBoom = summarise(events.slice(0, 7).map(createRecogniser()), window, '/aws/lambda/fn');
  assert.equal(onlyBoom.errors, 1);
  assert.deepEqual(onlyBoom.lastError && [onlyBoom.lastError.requestId, onlyBoom.lastError.errorType, onlyBoom.lastError.message], [b, 'Error', 'boom']);
  assert.equal(onlyBoom.lastError?.stack.length, 10, 'at most 10 stack lines');
  assert.equal(onlyBoom.lastError?.stack[0], 'Error: boom');
});

test('health: an init error logged before its START is that invocation\'s error; OOM takes the REPORT\'s Error Type', () => {
  const d = 'dddddddd-0000-4000-8000-000000000004';
  const e = 'eeeeeeee-0000-4000-8000-000000000005';
  const events = [
    ev('2026-12-01T10:00:00.000Z\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module \'index\'","stack":["Runtime.ImportModuleError: Error: Cannot find module \'index\'"]}'),
    ev(`START RequestId: ${d} Version: $LATEST`),
    ev(`END RequestId: ${d}`),
    ev(`REPORT RequestId: ${d}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: error\tError Type: Runtime.ImportModuleError`),
  ];
  const h = summarise(events.map(createRecogniser()), window, 'g');
  assert.equal(h.errors, 1);
  assert.deepEqual([h.lastError?.requestId, h.lastError?.errorType], [d, 'Runtime.ImportModuleError']);
  assert.match(h.lastError!.message, /Cannot find module 'index'/);

  const oom = summarise([
    ev(`START RequestId: ${e} Version: $LATEST`, 's3'),
    ev(`RequestId: ${e} Error: Runtime exited with error: signal: killed`, 's3'),
    ev(`END RequestId: ${e}`, 's3'),
    ev(`REPORT RequestId: ${e}\tDuration: 900.00 ms\tBilled Duration: 900 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory`, 's3'),
  ].map(createRecogniser()), window, 'g');
  assert.deepEqual([oom.invocations, oom.errors], [1, 1]);
  assert.equal(oom.lastError?.errorType, 'Runtime.OutOfMemory');
  assert.equal(oom.lastError?.message, 'Runtime exited with error: signal: killed');

  const quiet = summarise([], window, 'g');
  assert.deepEqual([quiet.invocations, quiet.errors, quiet.durationMs, quiet.lastError], [0, 0, null, null]);
});

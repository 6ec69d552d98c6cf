import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionLogEvent } from '@hangar/core/api';
import { createEngineClient } from '../engine-client.js';
import { followFunctionLogs } from './follow-function-logs.js';

const line = (id: string, ts: string, message: string): FunctionLogEvent => ({ id, ts, stream: 's', message, requestId: 'r1', kind: 'log', errorType: null });
const sse = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

test('follows the log stream, picks up a dropped connection from the last line without repeating it, and ends on an error event', async () => {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (urls.length === 1) {
      sse(res, 'log', line('e1', '2026-12-01T10:00:00.000Z', 'one'));
      sse(res, 'live', { logGroup: '/aws/lambda/f' });
      sse(res, 'log', line('e2', '2026-12-01T10:00:01.000Z', 'two'));
      res.end(); // the connection drops
    } else {
      sse(res, 'log', line('e2', '2026-12-01T10:00:01.000Z', 'two')); // sent again from `since`
      sse(res, 'log', line('e3', '2026-12-01T10:00:02.000Z', 'three'));
      sse(res, 'error', { code: 'NOT_FOUND', message: 'instance removed' });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const seen: string[] = [];
    const ends: { code: string }[] = [];
    const follow = followFunctionLogs({
      client: createEngineClient({ url, token: 't' }), orgId: 'org_1', instanceId: 'ins_1', since: '2026-12-01T09:59:00.000Z', retryMs: 5,
      onLog: (e) => seen.push(e.message), onEnd: (e) => ends.push(e),
    });
    await follow.done;
    assert.deepEqual(seen, ['one', 'two', 'three']);
    assert.deepEqual(ends.map((e) => e.code), ['NOT_FOUND']);
    assert.equal(urls.length, 2);
    assert.equal(urls[0], '/api/v1/orgs/org_1/instances/ins_1/logs/events?since=2026-12-01T09%3A59%3A00.000Z');
    assert.match(urls[1]!, /since=2026-12-01T10%3A00%3A01\.000Z$/, 'picked up from the last line shown');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('an error answer ends the follow; close() ends a live one without calling onEnd', async () => {
  let mode: 'error' | 'hang' = 'error';
  const server = createServer((_req, res) => {
    if (mode === 'error') {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'AUTH_FORBIDDEN', message: 'no' }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    sse(res, 'live', { logGroup: '/aws/lambda/f' }); // and then nothing, until the client goes
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const client = createEngineClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' });
    const ends: string[] = [];
    await followFunctionLogs({ client, orgId: 'o', instanceId: 'i', since: '1m', onLog: () => undefined, onEnd: (e) => ends.push(e.code) }).done;
    assert.deepEqual(ends, ['AUTH_FORBIDDEN']);

    mode = 'hang';
    const live = followFunctionLogs({ client, orgId: 'o', instanceId: 'i', since: '1m', onLog: () => undefined, onEnd: (e) => ends.push(e.code) });
    await new Promise((r) => setTimeout(r, 50));
    live.close();
    await live.done;
    assert.deepEqual(ends, ['AUTH_FORBIDDEN'], 'closing is not an end reported to the caller');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

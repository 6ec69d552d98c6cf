import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clfTime, eventV2, mapResult } from './payload.js';

const ctx = {
  accountId: '111111111111', apiId: 'abcdefghij', domainName: 'abcdefghij.execute-api.localhost', stage: '$default',
  routeKey: 'GET /items/{id}', resourcePath: '/items/7', requestId: 'req-1', now: new Date('2020-03-12T19:03:58.000Z'),
  pathParameters: { id: '7' }, stageVariables: {},
};

interface Ev {
  version: string; rawQueryString: string; queryStringParameters: unknown; cookies: unknown; headers: Record<string, string>;
  body: string; isBase64Encoded: boolean; pathParameters: unknown;
  requestContext: { http: { method: string; sourceIp: string }; time: string };
}

test('a request becomes a 2.0 event with cookies split out and text bodies kept', () => {
  const e = eventV2({
    method: 'GET', rawPath: '/items/7', rawQueryString: 'a=1&a=2&b=x%20y',
    headers: { 'Content-Type': 'application/json', cookie: 'c1=v1; c2=v2', 'x-multi': ['1', '2'] },
    body: Buffer.from('{"k":1}'), sourceIp: '127.0.0.1',
  }, ctx) as unknown as Ev;
  assert.equal(e.version, '2.0');
  assert.equal(e.rawQueryString, 'a=1&a=2&b=x%20y');
  assert.deepEqual(e.queryStringParameters, { a: '1,2', b: 'x y' });
  assert.deepEqual(e.cookies, ['c1=v1', 'c2=v2']);
  assert.equal(e.headers.cookie, undefined);
  assert.equal(e.headers['x-multi'], '1,2');
  assert.equal(e.body, '{"k":1}');
  assert.equal(e.isBase64Encoded, false);
  assert.deepEqual(e.pathParameters, { id: '7' });
  assert.equal(e.requestContext.http.method, 'GET');
  assert.equal(e.requestContext.http.sourceIp, '127.0.0.1');
  assert.equal(e.requestContext.time, '12/Mar/2020:19:03:58 +0000');
  assert.equal(clfTime(new Date('2021-01-05T01:02:03Z')), '05/Jan/2021:01:02:03 +0000');
});

test('binary and form bodies are base64-encoded; no body means no body field', () => {
  const bin = eventV2({ method: 'POST', rawPath: '/', rawQueryString: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('a=1'), sourceIp: '::1' }, ctx);
  assert.equal(bin.body, Buffer.from('a=1').toString('base64'));
  assert.equal(bin.isBase64Encoded, true);
  const none = eventV2({ method: 'GET', rawPath: '/', rawQueryString: '', headers: {}, body: Buffer.alloc(0), sourceIp: '::1' }, ctx);
  assert.equal('body' in none, false);
  assert.equal('queryStringParameters' in none, false);
});

test('2.0 results: strings and objects become 200 JSON; structured results map through', () => {
  assert.deepEqual(mapResult('"hello"', '2.0'), { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from('hello') });
  assert.equal(mapResult('{"a":1}', '2.0')?.body.toString(), '{"a":1}');
  const r = mapResult(JSON.stringify({ statusCode: 201, headers: { 'X-A': 'b' }, cookies: ['s=1'], body: Buffer.from('hi').toString('base64'), isBase64Encoded: true }), '2.0');
  assert.equal(r?.status, 201);
  assert.deepEqual(r?.headers, { 'x-a': 'b' });
  assert.deepEqual(r?.cookies, ['s=1']);
  assert.equal(r?.body.toString(), 'hi');
  assert.equal(mapResult('{"statusCode":"abc"}', '2.0'), undefined);
  assert.equal(mapResult('"x"', '1.0'), undefined);
});

// The pure parts of function operations: where the function is, the session policies and their
// size, the `since` rule, the HTTP API event, the SSE ids, and the session cache's reuse rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError, SessionCredentials } from '@hangar/core';
import { parseSince } from '@hangar/core/api';
import type { InstanceView } from '../deployments/views.js';
import { operationSessionName, serializeSessionPolicy } from '../providers/session-params.js';
import type { CredentialBroker, CredentialSession, OperationCredentialRequest, ResolvedProvider } from '../types.js';
import { httpApiEvent } from './http-event.js';
import { invokePolicy, logsPolicy } from './policy.js';
import { createOperationSessions } from './sessions.js';
import { parseSseId, sseId } from './stream.js';
import { functionTarget } from './target.js';

const fnName = 'hangar-shop-dev-api-0123456789ab';
const instance = (over: Partial<InstanceView> = {}): InstanceView => ({
  id: 'ins_1', appId: 'app_1', app: 'shop', stage: 'dev', name: 'api', component: 'http-function', status: 'deployed', inputs: {},
  outputs: { url: 'http://x/', functionName: fnName, functionArn: `arn:aws:lambda:eu-west-1:222222222222:function:${fnName}`, apiId: 'a1' },
  updatedAt: '2026-12-01T10:00:00.000Z', lastDeployment: null, ...over,
});

test('the function of an instance: name, ARN parts, log group and its ARN', () => {
  const t = functionTarget(instance());
  assert.deepEqual([t.functionName, t.partition, t.region, t.accountId, t.logGroup, t.logGroupArn], [
    fnName, 'aws', 'eu-west-1', '222222222222', `/aws/lambda/${fnName}`, `arn:aws:logs:eu-west-1:222222222222:log-group:/aws/lambda/${fnName}`,
  ]);
});

test('a component that names its log group in its outputs is read there', () => {
  const t = functionTarget(instance({ outputs: { ...instance().outputs, logGroup: '/hangar/shop/dev/api' } }));
  assert.deepEqual([t.logGroup, t.logGroupArn], ['/hangar/shop/dev/api', 'arn:aws:logs:eu-west-1:222222222222:log-group:/hangar/shop/dev/api']);
  assert.equal(functionTarget(instance({ outputs: { ...instance().outputs, logGroup: 'bad name*' } })).logGroup, `/aws/lambda/${fnName}`);
});

test('removed, never deployed, and function-less instances are clear errors', () => {
  const code = (i: InstanceView) => { try { functionTarget(i); return 'ok'; } catch (e) { return (e as HangarError).code; } };
  assert.equal(code(instance({ status: 'removed' })), 'FUNCTION_NOT_DEPLOYED');
  assert.equal(code(instance({ status: 'new', outputs: {} })), 'FUNCTION_NOT_DEPLOYED');
  assert.equal(code(instance({ status: 'failed', outputs: {} })), 'FUNCTION_NOT_DEPLOYED');
  assert.equal(code(instance({ component: 'static-site', outputs: { url: 'x' } })), 'FUNCTION_UNSUPPORTED');
  assert.equal(code(instance({ outputs: { functionName: fnName, functionArn: 'arn:aws:lambda:eu-west-1:222222222222:function:other' } })), 'INTERNAL');
  assert.throws(() => functionTarget(instance({ status: 'removed' })), /shop\/dev\/api was removed.*hangar deploy/);
});

test('session policies: only the read actions on the log group (and its streams), only InvokeFunction on the function', () => {
  const t = functionTarget(instance());
  assert.deepEqual(logsPolicy(t), {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'ReadFunctionLogs', Effect: 'Allow', Action: ['logs:DescribeLogStreams', 'logs:FilterLogEvents', 'logs:GetLogEvents'],
      Resource: [t.logGroupArn, `${t.logGroupArn}:*`],
    }],
  });
  assert.deepEqual(invokePolicy(t).Statement, [{ Sid: 'InvokeFunction', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [t.functionArn] }]);
  // The longest function name (64) still fits STS's 2048 characters with room to spare.
  const long = functionTarget(instance({ outputs: { functionName: 'f'.repeat(64), functionArn: `arn:aws-us-gov:lambda:us-gov-west-1:222222222222:function:${'f'.repeat(64)}` } }));
  assert.ok(serializeSessionPolicy(logsPolicy(long)).length < 600);
});

test('a session policy over 2048 characters, or with characters STS refuses, is never sent', () => {
  const big = { Version: '2012-10-17' as const, Statement: [{ Effect: 'Allow' as const, Action: ['logs:GetLogEvents'], Resource: Array.from({ length: 40 }, (_, i) => `arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/fn-${i}-${'x'.repeat(20)}`) }] };
  assert.throws(() => serializeSessionPolicy(big), /STS accepts at most 2048/);
  assert.throws(() => serializeSessionPolicy({ ...big, Statement: [{ ...big.Statement[0]!, Resource: ['arn:aws:logs:us-east-1:1:log-group:ƒ→'] }] }), /characters STS does not accept/);
  assert.equal(operationSessionName('logs', 'ins_abc'), 'hangar-logs-ins_abc');
  assert.equal(operationSessionName('invoke', `ins_${'x'.repeat(80)}`).length, 64);
});

test('since: an age or an ISO-8601 time, nothing else', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  assert.equal(parseSince('30s', now)?.toISOString(), '2026-12-01T11:59:30.000Z');
  assert.equal(parseSince('10m', now)?.toISOString(), '2026-12-01T11:50:00.000Z');
  assert.equal(parseSince('2h', now)?.toISOString(), '2026-12-01T10:00:00.000Z');
  assert.equal(parseSince('7d', now)?.toISOString(), '2026-11-24T12:00:00.000Z');
  assert.equal(parseSince('2026-12-01T10:30:00Z', now)?.toISOString(), '2026-12-01T10:30:00.000Z');
  assert.equal(parseSince('2026-12-01T10:30:00+01:00', now)?.toISOString(), '2026-12-01T09:30:00.000Z');
  assert.equal(parseSince('2026-11-30', now)?.toISOString(), '2026-11-30T00:00:00.000Z');
  for (const bad of ['yesterday', '10', '5x', '-1h', '1.5h', '2026-13-45', 'now', '']) assert.equal(parseSince(bad, now), undefined, bad);
});

test('the HTTP API event: payload format 2.0 for the method, path, query, headers and body', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  const e = httpApiEvent({ method: 'POST', path: '/items?limit=2&tag=a&tag=b', headers: { 'Content-Type': 'application/json', Cookie: 'a=1; b=2' }, body: '{"x":1}' }, { now, accountId: '222222222222', requestId: 'r1' });
  assert.equal(e.version, '2.0');
  assert.equal(e.routeKey, '$default');
  assert.equal(e.rawPath, '/items');
  assert.equal(e.rawQueryString, 'limit=2&tag=a&tag=b');
  assert.deepEqual(e.queryStringParameters, { limit: '2', tag: 'a,b' });
  assert.deepEqual(e.cookies, ['a=1', 'b=2']);
  assert.equal((e.headers as Record<string, string>)['content-type'], 'application/json');
  assert.equal((e.headers as Record<string, string>).cookie, undefined);
  assert.deepEqual([e.body, e.isBase64Encoded], ['{"x":1}', false]);
  const ctx = e.requestContext as { http: { method: string; path: string }; timeEpoch: number; time: string; accountId: string; requestId: string };
  assert.deepEqual([ctx.http.method, ctx.http.path, ctx.timeEpoch, ctx.time, ctx.accountId, ctx.requestId], ['POST', '/items', now.getTime(), '01/Dec/2026:12:00:00 +0000', '222222222222', 'r1']);
  const bin = httpApiEvent({ method: 'PUT', path: '/', headers: { 'content-type': 'application/octet-stream' }, body: 'hi' }, { now, accountId: '1' });
  assert.deepEqual([bin.body, bin.isBase64Encoded], ['aGk=', true]);
  const get = httpApiEvent({ method: 'GET', path: '/' }, { now, accountId: '1' });
  assert.deepEqual([get.body, get.isBase64Encoded, get.queryStringParameters], [undefined, false, undefined]);
});

test('SSE ids carry the timestamp so a stream can resume', () => {
  const id = sseId({ eventId: '3333123', timestamp: 1764590400000, logStreamName: 's', message: 'm' });
  assert.equal(id, '1764590400000.3333123');
  assert.deepEqual(parseSseId(id), { timestamp: 1764590400000, eventId: '3333123' });
  for (const bad of [undefined, '', '12', 'x.y', '1.2 3']) assert.equal(parseSseId(bad), undefined);
});

test('operation sessions: reused while open, one per actor and purpose, not cached when issuance fails, closed when idle or evicted', async () => {
  let now = Date.parse('2026-12-01T12:00:00Z');
  const opened: OperationCredentialRequest[] = [];
  const closed: OperationCredentialRequest[] = [];
  let fail = false;
  const broker: CredentialBroker = {
    resolve: async () => { throw new Error('unused'); },
    async open(req) {
      if (req.purpose !== 'logs' && req.purpose !== 'invoke') throw new Error('operations only');
      if (fail) throw new HangarError('PROVIDER_ASSUME_FAILED', 'refused');
      opened.push(req);
      const creds = new SessionCredentials({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 's', sessionToken: 't' });
      const session: CredentialSession = { region: 'us-east-1', endpoint: undefined, current: async () => creds, close: () => { closed.push(req); } };
      return session;
    },
  };
  const sessions = createOperationSessions({ broker, clock: { now: () => new Date(now) }, idleMs: 60_000 });
  const provider: ResolvedProvider = { id: 'prv_1', name: 'p', mode: 'assume-role', roleArn: 'arn:aws:iam::222222222222:role/r', region: 'us-east-1', sessionDurationSeconds: 900, linkedAt: 'org' };
  const t = functionTarget(instance());
  const req = (over: Partial<OperationCredentialRequest> = {}): OperationCredentialRequest => ({
    purpose: 'logs', policy: logsPolicy(t), orgId: 'org_1', appId: 'app_1', stage: 'dev', instanceId: 'ins_1',
    actor: { kind: 'user', id: 'usr_a', userId: 'usr_a', name: 'user:a' }, provider, ...over,
  } as OperationCredentialRequest);

  const [a, b] = await Promise.all([sessions.get(req()), sessions.get(req())]);
  assert.equal(a, b, 'concurrent callers share one issuance');
  assert.equal(await sessions.get(req()), a);
  assert.equal(opened.length, 1);
  await sessions.get(req({ purpose: 'invoke', policy: invokePolicy(t) }));
  await sessions.get(req({ actor: { kind: 'user', id: 'usr_b', userId: 'usr_b', name: 'user:b' } }));
  await sessions.get(req({ provider: { ...provider, id: 'prv_2' } }));
  assert.equal(opened.length, 4, 'purpose, actor and provider each get their own session');

  fail = true;
  const other = req({ instanceId: 'ins_2' });
  await assert.rejects(sessions.get(other), { code: 'PROVIDER_ASSUME_FAILED' });
  fail = false;
  await sessions.get(other);
  assert.equal(opened.length, 5, 'a failed issuance is tried again, not cached');

  sessions.evictInstance('org_1', 'ins_2');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(closed.map((r) => r.instanceId), ['ins_2']);
  assert.equal(sessions.size(), 4);

  now += 61_000;
  await sessions.get(other);
  await new Promise((r) => setImmediate(r));
  assert.equal(closed.length, 5, 'a get closes the idle ones');
  assert.equal(sessions.size(), 1);
  now += 61_000;
  sessions.sweep();
  await new Promise((r) => setImmediate(r));
  assert.equal(closed.length, 6, 'so does a sweep on its own');
  assert.equal(sessions.size(), 0);
  await sessions.get(req());
  await new Promise((r) => setImmediate(r));
  assert.equal(opened.length, 7, 'the one asked for was opened again');
  sessions.closeAll();
  await new Promise((r) => setImmediate(r));
  assert.equal(closed.length, 7);
  assert.equal(sessions.size(), 0);
});

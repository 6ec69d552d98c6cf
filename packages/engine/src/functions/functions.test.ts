// Function operations through the engine's HTTP API against the real local cloud: a real
// http-function deployment, its logs (a page and a live stream), its health, invoking it, and the
// narrowed sessions behind them (what they may and may not do, checked by the cloud itself).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { AttachRolePolicyCommand, CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutRolePolicyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import type { SessionCredentials } from '@hangar/core';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { createTestEngine, testDatabases, type TestEngine } from '../testing.js';
import { parseSse } from '../deployments/_sse.js';
import { createProvidersFeature } from '../providers/index.js';
import type { InstanceView } from '../deployments/views.js';
import { invokePolicy, logsPolicy } from './policy.js';
import { functionTarget } from './target.js';

const region = 'us-east-1';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Logs a marker taken from the path; `/boom` throws; a raw event is echoed. */
const handler = `exports.handler = async (event) => {
  if (!event || !event.requestContext) { console.log('raw event', JSON.stringify(event)); return { echoed: event }; }
  if (event.rawPath === '/boom') throw new Error('boom');
  console.log('marker ' + event.rawPath.slice(1));
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok ' + event.rawPath + ' ' + event.requestContext.http.method };
};`;

interface Frame { event: string; id?: string; data: unknown }

/** An SSE client on a real socket: frames as they come, until `stop()`. */
function openStream(url: string, headers: Record<string, string>): { frames: Frame[]; next(pred: (f: Frame) => boolean): Promise<Frame>; status: Promise<number>; stop(): void } {
  const frames: Frame[] = [];
  const waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  let buf = '';
  let res: IncomingMessage | undefined;
  const req = httpRequest(url, { headers });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (r) => {
      res = r;
      resolve(r.statusCode ?? 0);
      r.setEncoding('utf8');
      r.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const f of parseSse(`${block}\n\n`)) {
            frames.push(f);
            for (const w of waiters.splice(0)) { if (w.pred(f)) w.resolve(f); else waiters.push(w); }
          }
        }
      });
    });
    req.on('error', reject);
  });
  req.end();
  return {
    frames, status,
    next: (pred) => new Promise((resolve) => {
      const seen = frames.find(pred);
      if (seen) resolve(seen); else waiters.push({ pred, resolve });
    }),
    stop: () => { res?.destroy(); req.destroy(); },
  };
}

for (const db of testDatabases()) describe(`function operations against the local cloud (${db.kind})`, { skip: db.skip }, () => {
  let cloud: LocalCloud;
  let engine: TestEngine;
  let base: string;
  let headers: { authorization: string };
  let viewerHeaders: { authorization: string };
  let workloadRoot: { accessKeyId: string; secretAccessKey: string };
  let instanceId: string;
  let functionUrl: string;
  let functionArn: string;
  let engineUrl: string;

  const get = (path: string, h = headers) => engine.app.inject({ url: `${base}/instances/${instanceId}${path}`, headers: h });
  const invoke = (body: unknown, h = headers) => engine.app.inject({ method: 'POST', url: `${base}/instances/${instanceId}/invoke`, headers: h, payload: body as object });

  async function deploy(action: 'deploy' | 'remove', manifestId?: string, name = 'api', inputs: Record<string, unknown> = { src: '.', handler: 'index.handler', timeout: 5 }) {
    const res = await engine.app.inject({
      method: 'POST', url: `${base}/deployments`, headers,
      payload: { app: 'shop', stage: 'dev', name, component: 'http-function', action, inputs: action === 'deploy' ? inputs : {}, ...(manifestId ? { manifestId } : {}) },
    });
    assert.equal(res.statusCode, 202, res.body);
    const events = parseSse((await engine.app.inject({ url: `${base}/deployments/${res.json().deploymentId}/events`, headers })).body);
    const done = events.at(-1)!.data;
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    return { done, instanceId: res.json().instanceId as string };
  }

  async function upload(code: string): Promise<string> {
    const entries = [{ path: 'index.js', sha256: sha(code), size: Buffer.byteLength(code), mode: 0o644 }];
    const src = await engine.app.inject({ method: 'POST', url: `${base}/sources`, headers, payload: { kind: 'full', entries } });
    assert.equal(src.statusCode, 200, src.body);
    for (const h of src.json().missing as string[]) {
      assert.equal((await engine.app.inject({ method: 'PUT', url: `${base}/blobs/${h}`, headers: { ...headers, 'content-type': 'application/octet-stream' }, payload: Buffer.from(code) })).statusCode, 204);
    }
    return src.json().manifestId;
  }

  /** Reads the logs until one line matches (the cloud writes them as the invocation ends). */
  async function logLine(pred: (e: { message: string; kind: string }) => boolean, query = 'since=10m') {
    for (let i = 0; i < 50; i++) {
      const res = await get(`/logs?${query}`);
      assert.equal(res.statusCode, 200, res.body);
      const hit = (res.json().events as { message: string; kind: string; requestId: string | null }[]).find(pred);
      if (hit) return { hit, reply: res.json() };
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the line never appeared in the function\'s logs');
  }

  before(async () => {
    cloud = await startLocalCloud({ port: 0, log: () => {} });
    const engineRoot = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '100000000001' });
    workloadRoot = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '200000000002' });
    const iamOf = (k: { accessKeyId: string; secretAccessKey: string }) => new IAMClient({ region, endpoint: cloud.endpoint, credentials: k });
    const engineIam = iamOf(engineRoot);
    await engineIam.send(new CreateUserCommand({ UserName: 'hangar-engine' }));
    await engineIam.send(new PutUserPolicyCommand({
      UserName: 'hangar-engine', PolicyName: 'assume',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], Resource: '*' }] }),
    }));
    const key = (await engineIam.send(new CreateAccessKeyCommand({ UserName: 'hangar-engine' }))).AccessKey!;
    engineIam.destroy();
    engine = await createTestEngine({ database: db.kind, config: { aws: { region, endpoint: cloud.endpoint, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! } } } });
    base = `/api/v1/orgs/${engine.seed!.org.id}`;
    headers = engine.auth(engine.seed!.token);
    const viewer = await engine.bootstrap.createUser({ email: 'vera@example.com' });
    await engine.bootstrap.addMember(engine.seed!.org.id, viewer.id, 'viewer');
    viewerHeaders = engine.auth((await engine.bootstrap.createToken(engine.seed!.org.id, viewer.id, 'viewer')).token);

    // The provider's role, created from its own setup (trust with the external id), with admin rights: the session policies must narrow it.
    const p = await engine.app.inject({ method: 'POST', url: `${base}/providers`, headers, payload: { name: 'local' } });
    assert.equal(p.statusCode, 201, p.body);
    const iam = iamOf(workloadRoot);
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'hangar-deployer', AssumeRolePolicyDocument: JSON.stringify(p.json().setup.trustPolicy), MaxSessionDuration: 3600 }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'hangar-deployer', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }));
    iam.destroy();
    const v = await engine.app.inject({ method: 'POST', url: `${base}/providers/local/verify`, headers, payload: { roleArn: role.Role!.Arn } });
    assert.equal(v.json().status, 'verified', v.body);
    assert.ok((await engine.app.inject({ method: 'POST', url: `${base}/providers/local/links`, headers, payload: { scope: 'org' } })).statusCode < 300);

    const d = await deploy('deploy', await upload(handler));
    instanceId = d.instanceId;
    functionUrl = d.done.outputs.url;
    functionArn = d.done.outputs.functionArn;
    engineUrl = await engine.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await engine?.close();
    await cloud?.stop();
  });

  test('a function never invoked has no log lines yet: an empty page, not an error', async () => {
    const res = await get('/logs');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { logGroup: `/aws/lambda/${functionArn.split(':function:')[1]}`, events: [], truncated: false });
  });

  test('the logs route shows a line the function logged, recognised, with its request id', async () => {
    const answer = await fetch(`${functionUrl}marker-4711`);
    assert.equal(answer.status, 200);
    const { hit, reply } = await logLine((e) => e.message.includes('marker marker-4711'));
    assert.equal(hit.kind, 'log');
    const events = reply.events as { kind: string; requestId: string | null; message: string }[];
    const start = events.find((e) => e.kind === 'start')!;
    assert.ok(start.requestId, 'START carries the request id');
    assert.equal((hit as { requestId: string | null }).requestId, start.requestId);
    assert.ok(events.some((e) => e.kind === 'report' && e.requestId === start.requestId));
    // A viewer may read logs.
    assert.equal((await get('/logs', viewerHeaders)).statusCode, 200);
    // A filter narrows to matching lines.
    const only = (await get('/logs?filter=marker-4711')).json().events as { message: string }[];
    assert.ok(only.length >= 1 && only.every((e) => e.message.includes('marker-4711')), JSON.stringify(only));
  });

  test('the stream sends the backlog, then `live`, then a new line as it happens, and resumes after Last-Event-ID', async () => {
    const issuedBefore = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' })).filter((e) => e.data.purpose === 'logs').length;
    const url = `${engineUrl}${base}/instances/${instanceId}/logs/events?since=10m`;
    const s = openStream(url, headers);
    try {
      assert.equal(await s.status, 200);
      await s.next((f) => f.event === 'live');
      assert.ok(s.frames.some((f) => f.event === 'log' && (f.data as { message: string }).message.includes('marker-4711')), 'the backlog came first');
      assert.equal((await fetch(`${functionUrl}live-9001`)).status, 200);
      const line = await s.next((f) => f.event === 'log' && (f.data as { message: string }).message.includes('marker live-9001'));
      assert.match(line.id!, /^\d+\.\S+$/);
      const ids = s.frames.filter((f) => f.event === 'log').map((f) => f.id);
      assert.equal(new Set(ids).size, ids.length, 'each line once');
      // Resume: a new connection after the live line gets nothing before it again.
      s.stop();
      const r = openStream(url, { ...headers, 'last-event-id': line.id! });
      try {
        await r.next((f) => f.event === 'live');
        assert.ok(!r.frames.some((f) => f.event === 'log' && (f.data as { message: string }).message.includes('marker live-9001')), 'the resumed stream starts after the last line seen');
        assert.ok(!r.frames.some((f) => f.event === 'log' && (f.data as { message: string }).message.includes('marker-4711')));
      } finally {
        r.stop();
      }
    } finally {
      s.stop();
    }
    const issuedAfter = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' })).filter((e) => e.data.purpose === 'logs').length;
    assert.equal(issuedAfter, issuedBefore, 'the streams polled with the session already open, not a session per poll');
  });

  test('invoke returns the payload and the log tail; an HTTP event reaches the handler as the HTTP API would send it', async () => {
    const res = await invoke({ http: { method: 'POST', path: '/via-invoke?x=1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' } });
    assert.equal(res.statusCode, 200, res.body);
    const out = res.json();
    assert.equal(out.statusCode, 200);
    assert.equal(out.functionError, null);
    assert.deepEqual(JSON.parse(out.payload), { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok /via-invoke POST' });
    assert.match(out.logTail, /marker via-invoke/);
    assert.match(out.logTail, new RegExp(`REPORT RequestId: ${out.requestId}\\t`));
    assert.equal(typeof out.durationMs, 'number');

    const raw = (await invoke({ payload: { ping: 1 } })).json();
    assert.deepEqual(JSON.parse(raw.payload), { echoed: { ping: 1 } });
    assert.match(raw.logTail, /raw event \{"ping":1\}/);
    // Invoking is a deployer's action.
    assert.equal((await invoke({ payload: {} }, viewerHeaders)).statusCode, 403);
  });

  test('health counts an error a handler threw, with its request id and stack', async () => {
    const res = await invoke({ http: { path: '/boom' } });
    const failed = res.json();
    assert.equal(failed.functionError, 'Unhandled');
    assert.match(failed.payload, /boom/);
    const h = (await get('/health?since=1h')).json();
    assert.ok(h.invocations >= 4, JSON.stringify(h));
    assert.equal(h.errors, 1);
    assert.ok(h.coldStarts >= 1);
    assert.ok(h.durationMs.p50 >= 0 && h.durationMs.p99 >= h.durationMs.p50);
    assert.equal(h.lastError.requestId, failed.requestId);
    assert.equal(h.lastError.errorType, 'Error');
    assert.equal(h.lastError.message, 'boom');
    assert.equal(h.lastError.stack[0], 'Error: boom');
    assert.ok(h.lastError.stack.length <= 10);
    const { hit } = await logLine((e) => e.kind === 'error');
    assert.equal((hit as { errorType?: string }).errorType, 'Error');
  });

  test('the sessions are narrowed: logs reads only this log group, invoke only invokes this function (the cloud refuses the rest)', async () => {
    const broker = createProvidersFeature({ db: engine.db, clock: engine.clock, logger: engine.logger, audit: engine.audit, config: engine.config }).broker;
    const view = (await get('')).json() as InstanceView;
    const target = functionTarget(view);
    const actor = { kind: 'user' as const, id: 'usr_t', userId: 'usr_t', name: 'user:test' };
    const provider = await broker.resolve({ orgId: engine.seed!.org.id, appId: view.appId, stage: view.stage, instanceId });
    const common = { orgId: engine.seed!.org.id, appId: view.appId, stage: view.stage, instanceId, actor, provider };
    const logsSession = await broker.open({ ...common, purpose: 'logs', policy: logsPolicy(target) });
    const invokeSession = await broker.open({ ...common, purpose: 'invoke', policy: invokePolicy(target) });
    const clients = (c: SessionCredentials) => ({
      logs: new CloudWatchLogsClient({ region, endpoint: cloud.endpoint, credentials: c.toProvider() }),
      lambda: new LambdaClient({ region, endpoint: cloud.endpoint, credentials: c.toProvider() }),
    });
    const denied = (e: { name?: string }) => { assert.match(e.name ?? '', /^AccessDenied/); return true; };
    const l = clients(await logsSession.current());
    const i = clients(await invokeSession.current());
    try {
      const own = await l.logs.send(new FilterLogEventsCommand({ logGroupName: target.logGroup, limit: 5 }));
      assert.ok((own.events ?? []).length > 0, 'the logs session reads its log group');
      const streams = await l.logs.send(new DescribeLogStreamsCommand({ logGroupName: target.logGroup }));
      const stream = streams.logStreams![0]!.logStreamName!;
      assert.ok((await l.logs.send(new GetLogEventsCommand({ logGroupName: target.logGroup, logStreamName: stream, limit: 5 }))).events!.length > 0, 'and its streams');
      await assert.rejects(l.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/someone-else', limit: 5 })), denied);
      await assert.rejects(l.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionArn, ZipFile: new Uint8Array([1]) })), denied);
      await assert.rejects(l.lambda.send(new InvokeCommand({ FunctionName: functionArn })), denied);

      const ok = await i.lambda.send(new InvokeCommand({ FunctionName: functionArn, Payload: Buffer.from('{"n":1}') }));
      assert.equal(ok.StatusCode, 200, 'the invoke session invokes its function');
      await assert.rejects(i.logs.send(new FilterLogEventsCommand({ logGroupName: target.logGroup, limit: 5 })), denied);
      await assert.rejects(i.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionArn, ZipFile: new Uint8Array([1]) })), denied);
    } finally {
      for (const c of [l, i]) { c.logs.destroy(); c.lambda.destroy(); }
      logsSession.close();
      invokeSession.close();
    }
  });

  test('issuances are audited with their purpose, session name and policy; one session per purpose was reused', async () => {
    const issued = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' })).filter((e) => e.subject === `instance:${instanceId}`);
    // Through the routes: one session per actor and purpose, however many requests, polls and streams used it.
    const viaRoutes = issued.filter((e) => e.actor !== 'user:test');
    const groups = new Map<string, number>();
    for (const e of viaRoutes) groups.set(`${e.actor} ${String(e.data.purpose)}`, (groups.get(`${e.actor} ${String(e.data.purpose)}`) ?? 0) + 1);
    assert.ok([...groups.values()].every((n) => n === 1), JSON.stringify([...groups]));
    assert.deepEqual([...new Set(viaRoutes.map((e) => e.data.purpose))].sort(), ['invoke', 'logs']);
    const owner = viaRoutes.filter((e) => e.actor === viaRoutes.find((x) => x.data.purpose === 'invoke')!.actor);
    const logs = owner.find((e) => e.data.purpose === 'logs')!;
    assert.equal(logs.data.sessionName, `hangar-logs-${instanceId}`);
    assert.equal(logs.data.sessionPolicy, true);
    assert.deepEqual((logs.data.policy as { Statement: { Action: string[] }[] }).Statement[0]!.Action, ['logs:DescribeLogStreams', 'logs:FilterLogEvents', 'logs:GetLogEvents']);
    const requested = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.requested' })).filter((e) => e.subject === `instance:${instanceId}`);
    assert.ok(requested.every((e) => e.data.purpose === 'logs' || e.data.purpose === 'invoke'));
    const deploys = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' })).filter((e) => e.subject?.startsWith('deployment:'));
    assert.ok(deploys.length >= 1 && deploys.every((e) => e.data.purpose === 'deploy'));
  });

  test('a provider role without the logs permissions: FUNCTION_AWS_ACCESS_DENIED naming the action; invoke still works', async () => {
    const p = await engine.app.inject({ method: 'POST', url: `${base}/providers`, headers, payload: { name: 'invoke-only' } });
    assert.equal(p.statusCode, 201, p.body);
    const iam = new IAMClient({ region, endpoint: cloud.endpoint, credentials: workloadRoot });
    const role = await iam.send(new CreateRoleCommand({ RoleName: 'hangar-invoke-only', AssumeRolePolicyDocument: JSON.stringify(p.json().setup.trustPolicy), MaxSessionDuration: 3600 }));
    await iam.send(new PutRolePolicyCommand({ RoleName: 'hangar-invoke-only', PolicyName: 'invoke', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: '*' }] }) }));
    iam.destroy();
    assert.equal((await engine.app.inject({ method: 'POST', url: `${base}/providers/invoke-only/verify`, headers, payload: { roleArn: role.Role!.Arn } })).json().status, 'verified');
    const link = await engine.app.inject({ method: 'POST', url: `${base}/providers/invoke-only/links`, headers, payload: { scope: 'instance', instanceId } });
    assert.equal(link.statusCode, 201, link.body);
    try {
      const logs = await get('/logs');
      assert.equal(logs.statusCode, 403, logs.body);
      assert.equal(logs.json().code, 'FUNCTION_AWS_ACCESS_DENIED');
      assert.match(logs.json().message, /logs:FilterLogEvents on arn:aws:logs:us-east-1:200000000002:log-group:\/aws\/lambda\//);
      const issued = (await engine.audit.list(engine.seed!.org.id, { kind: 'credentials.issued' })).find((e) => e.subject === `instance:${instanceId}` && e.data.provider === 'invoke-only');
      assert.equal(issued?.data.purpose, 'logs', 'the instance link chose the provider');
      assert.equal((await invoke({ payload: { via: 'invoke-only' } })).json().functionError, null);
    } finally {
      assert.equal((await engine.app.inject({ method: 'DELETE', url: `${base}/providers/invoke-only/links/${link.json().link.id}`, headers })).statusCode, 204);
    }
  });

  test('the local cloud\'s own failure output is recognised: syntax error, missing export, timeout', async () => {
    const cases = [
      { code: 'exports.handler = async () => { return 1;; ) };', handler: 'index.handler', timeout: 5, errorType: 'Runtime.UserCodeSyntaxError', message: /^SyntaxError: / },
      { code: 'exports.other = async () => 1;', handler: 'index.handler', timeout: 5, errorType: 'Runtime.HandlerNotFound', message: /index\.handler is undefined or not exported/ },
      { code: 'exports.handler = () => new Promise(() => {});', handler: 'index.handler', timeout: 1, errorType: 'Task timed out', message: /Task timed out after 1\.00 seconds/ },
    ];
    for (const c of cases) {
      const { instanceId: id } = await deploy('deploy', await upload(c.code), 'broken', { src: '.', handler: c.handler, timeout: c.timeout });
      const out = (await engine.app.inject({ method: 'POST', url: `${base}/instances/${id}/invoke`, headers, payload: { payload: {} } })).json();
      assert.equal(out.functionError, 'Unhandled', JSON.stringify(out));
      const h = (await engine.app.inject({ url: `${base}/instances/${id}/health?since=1h`, headers })).json();
      assert.equal(h.lastError?.errorType, c.errorType, JSON.stringify(h));
      assert.match(h.lastError.message, c.message);
      assert.equal(h.lastError.requestId, out.requestId, 'the error is tied to the invocation that hit it');
      const logs = (await engine.app.inject({ url: `${base}/instances/${id}/logs?since=1h`, headers })).json().events as { kind: string; errorType: string | null }[];
      assert.ok(logs.some((e) => e.kind === 'error' && e.errorType === c.errorType), JSON.stringify(logs));
    }
  });

  test('bad input: an unknown since, a filter the cloud refuses; then a removed instance', async () => {
    const since = await get('/logs?since=yesterday');
    assert.equal(since.statusCode, 400);
    assert.equal(since.json().code, 'VALIDATION_FAILED');
    assert.match(since.json().message, /query\.since: .*30s, 10m, 2h or 7d.*ISO-8601.*"yesterday"/);
    assert.equal((await get('/health?since=5x')).json().code, 'VALIDATION_FAILED');

    const filter = await get(`/logs?filter=${encodeURIComponent('{ $.level = ')}`);
    assert.equal(filter.statusCode, 400, filter.body);
    assert.equal(filter.json().code, 'FUNCTION_LOGS_FILTER_INVALID');
    assert.match(filter.json().message, /\{ \$\.level = /);

    // A stream open while the instance is removed says so, then ends.
    const s = openStream(`${engineUrl}${base}/instances/${instanceId}/logs/events?since=1m`, headers);
    try {
      await s.next((f) => f.event === 'live');
      await deploy('remove');
      const end = await s.next((f) => f.event === 'error');
      assert.equal((end.data as { code: string }).code, 'FUNCTION_NOT_DEPLOYED');
    } finally {
      s.stop();
    }
    for (const res of [await invoke({ payload: {} }), await get('/logs'), await get('/health'), await get('/logs/events')]) {
      assert.equal(res.statusCode, 409, res.body);
      assert.equal(res.json().code, 'FUNCTION_NOT_DEPLOYED');
      assert.match(res.json().message, /shop\/dev\/api was removed.*hangar deploy/);
    }
    assert.equal((await engine.app.inject({ url: `${base}/instances/ins_nothere/logs`, headers })).statusCode, 404);
  });
});

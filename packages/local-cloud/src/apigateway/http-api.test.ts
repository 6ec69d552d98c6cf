import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  CreateApiCommand, CreateDeploymentCommand, CreateIntegrationCommand, CreateRouteCommand, CreateStageCommand, DeleteRouteCommand, GetApiCommand,
  GetApisCommand, GetRoutesCommand, GetStageCommand, GetStagesCommand, UpdateApiCommand,
} from '@aws-sdk/client-apigatewayv2';
import {
  CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand,
  DeleteLogGroupCommand, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { AddPermissionCommand, CreateFunctionCommand, InvokeCommand, RemovePermissionCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { ACCOUNT, clientsFor, destroyClients, fixture, startCompute, zipOf, type Fixture, closeFixture } from '../lambda/test-support.js';

const HANDLER = `
let calls = 0;
export const handler = async (event) => {
  calls += 1;
  console.log('hit', event.rawPath);
  if (event.rawPath === '/plain') return 'just text';
  if (event.rawPath === '/boom') throw new Error('kaput');
  return {
    statusCode: 201,
    headers: { 'x-route': event.routeKey, 'content-type': 'application/json' },
    cookies: ['a=1; Path=/', 'b=2'],
    body: JSON.stringify({
      version: event.version, routeKey: event.routeKey, rawPath: event.rawPath, rawQueryString: event.rawQueryString,
      query: event.queryStringParameters ?? null, cookies: event.cookies ?? null, method: event.requestContext.http.method,
      sourceIp: event.requestContext.http.sourceIp, stage: event.requestContext.stage, pathParameters: event.pathParameters ?? null,
      body: event.body ?? null, isBase64Encoded: event.isBase64Encoded, host: event.headers.host, calls,
    }),
  };
};
`;

let fx: Fixture;
let apiId = '';
let fnArn = '';

before(async () => {
  fx = await fixture();
  const fn = await fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'web', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.mjs': HANDLER }) },
  }));
  fnArn = fn.FunctionArn as string;
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'web' });
});

after(async () => {
  await closeFixture(fx);
});

const url = (endpoint: string, path: string) => `${endpoint}/_aws/execute-api/${apiId}${path}`;

/** GET through the Host-header form (Node's fetch cannot resolve *.localhost names, so connect to 127.0.0.1). */
function getByHost(apiEndpoint: string, cloudEndpoint: string, path: string): Promise<{ status: number; body: string }> {
  const target = new URL(cloudEndpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, headers: { host: new URL(apiEndpoint).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('an HTTP API routes real requests to the function with a 2.0 event, once API Gateway may invoke it', async () => {
  const api = await fx.c.apigw.send(new CreateApiCommand({ Name: 'web', ProtocolType: 'HTTP' }));
  apiId = api.ApiId as string;
  assert.match(apiId, /^[a-z0-9]{10}$/);
  const integ = await fx.c.apigw.send(new CreateIntegrationCommand({ ApiId: apiId, IntegrationType: 'AWS_PROXY', IntegrationUri: fnArn, PayloadFormatVersion: '2.0' }));
  const target = `integrations/${integ.IntegrationId}`;
  await fx.c.apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /hello/{name}', Target: target }));
  await fx.c.apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'ANY /{proxy+}', Target: target }));
  await assert.rejects(fx.c.apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'ANY /{proxy+}', Target: target })), { name: 'ConflictException' });
  await assert.rejects(fx.c.apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'FETCH /x', Target: target })), { name: 'BadRequestException' });
  await fx.c.apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: '$default', AutoDeploy: true }));

  const denied = await fetch(url(fx.cloud.endpoint, '/hello/world'));
  assert.equal(denied.status, 500, 'without a permission for apigateway.amazonaws.com');
  assert.deepEqual(await denied.json(), { message: 'Internal Server Error' });

  await fx.c.lambda.send(new AddPermissionCommand({
    FunctionName: 'web', StatementId: 'other-api', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com',
    SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:zzzzzzzzzz/*/*`,
  }));
  assert.equal((await fetch(url(fx.cloud.endpoint, '/hello/world'))).status, 500, 'a permission for another API does not count');
  await fx.c.lambda.send(new AddPermissionCommand({
    FunctionName: 'web', StatementId: 'apigw', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com',
    SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${apiId}/*/*`,
  }));

  const res = await fetch(url(fx.cloud.endpoint, '/hello/w%20orld?x=1&x=2&y=z'), { headers: { cookie: 'c1=v1; c2=v2' } });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-route'), 'GET /hello/{name}');
  assert.deepEqual(res.headers.getSetCookie(), ['a=1; Path=/', 'b=2']);
  assert.ok(res.headers.get('apigw-requestid'));
  const e = await res.json() as Record<string, unknown>;
  assert.equal(e.version, '2.0');
  assert.equal(e.routeKey, 'GET /hello/{name}');
  assert.equal(e.rawPath, '/hello/w%20orld');
  assert.equal(e.rawQueryString, 'x=1&x=2&y=z');
  assert.deepEqual(e.query, { x: '1,2', y: 'z' });
  assert.deepEqual(e.cookies, ['c1=v1', 'c2=v2']);
  assert.deepEqual(e.pathParameters, { name: 'w orld' });
  assert.equal(e.method, 'GET');
  assert.equal(e.stage, '$default');
  assert.equal(e.sourceIp, '127.0.0.1');

  const post = await fetch(url(fx.cloud.endpoint, '/any/deep/path'), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2]) });
  const p = await post.json() as Record<string, unknown>;
  assert.equal(p.routeKey, 'ANY /{proxy+}');
  assert.deepEqual(p.pathParameters, { proxy: 'any/deep/path' });
  assert.equal(p.isBase64Encoded, true);
  assert.equal(p.body, Buffer.from([0, 1, 2]).toString('base64'));

  const plain = await fetch(url(fx.cloud.endpoint, '/plain'));
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('content-type'), 'application/json');
  assert.equal(await plain.text(), 'just text');

  const boom = await fetch(url(fx.cloud.endpoint, '/boom'));
  assert.equal(boom.status, 500);
  assert.deepEqual(await boom.json(), { message: 'Internal Server Error' });
  const none = await fetch(url(fx.cloud.endpoint, '/'));
  assert.equal(none.status, 404);
  assert.deepEqual(await none.json(), { message: 'Not Found' });
  assert.equal((await fetch(`${fx.cloud.endpoint}/_aws/execute-api/aaaaaaaaaa/hello/x`)).status, 404);
});

test('GetApi answers a working ApiEndpoint (Host-header form) and the control plane reads back', async () => {
  const api = await fx.c.apigw.send(new GetApiCommand({ ApiId: apiId }));
  assert.equal(api.ApiEndpoint, `http://${apiId}.execute-api.localhost:${fx.cloud.port}`);
  assert.equal(api.ProtocolType, 'HTTP');
  assert.equal(api.RouteSelectionExpression, '$request.method $request.path');
  const r = await getByHost(api.ApiEndpoint as string, fx.cloud.endpoint, '/hello/host');
  assert.equal(r.status, 201);
  assert.equal(JSON.parse(r.body).host, `${apiId}.execute-api.localhost:${fx.cloud.port}`);
  assert.ok((await fx.c.apigw.send(new GetApisCommand({}))).Items?.some((a) => a.ApiId === apiId));
  const stage = await fx.c.apigw.send(new GetStageCommand({ ApiId: apiId, StageName: '$default' }));
  assert.equal(stage.AutoDeploy, true);
  assert.match(stage.DeploymentId ?? '', /^[a-z0-9]{6}$/);
  const routes = await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }));
  assert.equal(routes.Items?.length, 2);
  await assert.rejects(fx.c.apigw.send(new GetApiCommand({ ApiId: 'nonexisten' })), { name: 'NotFoundException' });
  const renamed = await fx.c.apigw.send(new UpdateApiCommand({ ApiId: apiId, Name: 'web2' }));
  assert.equal(renamed.Name, 'web2');
});

test('a named stage without auto-deploy serves only what CreateDeployment froze', async () => {
  await fx.c.apigw.send(new CreateStageCommand({ ApiId: apiId, StageName: 'prod' }));
  assert.equal((await fetch(url(fx.cloud.endpoint, '/prod/hello/x'))).status, 404, 'nothing deployed yet');
  const d = await fx.c.apigw.send(new CreateDeploymentCommand({ ApiId: apiId, StageName: 'prod' }));
  assert.match(d.DeploymentId ?? '', /^[a-z0-9]{6}$/);
  const res = await fetch(url(fx.cloud.endpoint, '/prod/hello/x'));
  assert.equal(res.status, 201);
  const e = await res.json() as Record<string, unknown>;
  assert.equal(e.stage, 'prod');
  assert.equal(e.rawPath, '/prod/hello/x');
  assert.equal(e.routeKey, 'GET /hello/{name}');
  const routeCount = (await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.length;
  await fx.c.apigw.send(new CreateRouteCommand({ ApiId: apiId, RouteKey: 'GET /only-in-default', Target: (await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.[0]?.Target }));
  assert.equal((await fetch(url(fx.cloud.endpoint, '/prod/only-in-default'))).status, 201, 'served by the frozen ANY /{proxy+}');
  assert.equal(((await (await fetch(url(fx.cloud.endpoint, '/prod/only-in-default'))).json()) as { routeKey: string }).routeKey, 'ANY /{proxy+}');
  assert.equal(((await (await fetch(url(fx.cloud.endpoint, '/only-in-default'))).json()) as { routeKey: string }).routeKey, 'GET /only-in-default', 'the auto-deploy stage has it');
  const added = (await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.find((r) => r.RouteKey === 'GET /only-in-default');
  await fx.c.apigw.send(new DeleteRouteCommand({ ApiId: apiId, RouteId: added?.RouteId as string }));
  assert.equal((await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.length, routeCount);
});

test('function output lands in /aws/lambda/<name> with START, END and REPORT lines', async () => {
  const inv = await fx.c.lambda.send(new InvokeCommand({ FunctionName: 'web', Payload: Buffer.from(JSON.stringify({ rawPath: '/plain' })) }));
  assert.equal(Buffer.from(inv.Payload ?? []).toString(), '"just text"');
  const groups = await fx.c.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
  assert.deepEqual(groups.logGroups?.map((g) => g.logGroupName), ['/aws/lambda/web']);
  const streams = await fx.c.logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/web', orderBy: 'LastEventTime', descending: true }));
  const stream = streams.logStreams?.[0]?.logStreamName as string;
  assert.match(stream, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  const events = await fx.c.logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/web', logStreamName: stream, startFromHead: true }));
  const lines = (events.events ?? []).map((e) => e.message as string);
  const start = lines.findLast((l) => l.startsWith('START RequestId: '));
  assert.match(start ?? '', /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/);
  const id = /RequestId: ([0-9a-f-]{36})/.exec(start ?? '')?.[1] as string;
  assert.ok(lines.some((l) => new RegExp(`^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\t${id}\\tINFO\\thit /plain$`).test(l)), lines.join('\n'));
  assert.ok(lines.includes(`END RequestId: ${id}`));
  assert.ok(lines.some((l) => new RegExp(`^REPORT RequestId: ${id}\\tDuration: [\\d.]+ ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB`).test(l)));
  const filtered = await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/web', filterPattern: 'kaput' }));
  assert.ok((filtered.events?.length ?? 0) >= 1, 'the unhandled error of the /boom request is in the logs');
  assert.ok(filtered.events?.every((ev) => ev.message?.includes('kaput')));
});

test('a restart with the same data dir keeps the function and the API serving', async () => {
  await fx.cloud.stop();
  destroyClients(fx.c);
  fx.cloud = await startCompute(fx.dataDir);
  fx.c = clientsFor(fx.cloud.endpoint, fx.root);
  const res = await fetch(url(fx.cloud.endpoint, '/hello/again'));
  assert.equal(res.status, 201);
  assert.equal((await res.json() as { calls: number }).calls, 1, 'a new process served it');
  const logs = await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/web', filterPattern: '"hit /plain"' }));
  assert.ok((logs.events?.length ?? 0) >= 1, 'logs from before the restart are kept');
  await fx.c.apigw.send(new DeleteRouteCommand({ ApiId: apiId, RouteId: (await fx.c.apigw.send(new GetRoutesCommand({ ApiId: apiId }))).Items?.find((r) => r.RouteKey === 'GET /hello/{name}')?.RouteId as string }));
  const viaProxy = await fetch(url(fx.cloud.endpoint, '/hello/again'));
  assert.equal((await viaProxy.json() as { routeKey: string }).routeKey, 'ANY /{proxy+}', 'auto-deploy applies route changes');
  await fx.c.lambda.send(new RemovePermissionCommand({ FunctionName: 'web', StatementId: 'apigw' }));
  assert.equal((await fetch(url(fx.cloud.endpoint, '/hello/again'))).status, 500);
});

/** Sends `body` instead of the serialised input: the request is still correctly signed. */
async function withBody<T>(client: { middlewareStack: { add: (...a: never[]) => void; remove: (n: string) => boolean } }, body: string, run: () => Promise<T>): Promise<T> {
  const mw = (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
    const request = (args as { request: { body: unknown; headers: Record<string, string> } }).request;
    request.body = body;
    request.headers['content-length'] = String(Buffer.byteLength(body));
    return next(args);
  };
  client.middlewareStack.add(...([mw, { step: 'build', name: 'breakBody' }] as never[]));
  try {
    return await run();
  } finally {
    client.middlewareStack.remove('breakBody');
  }
}

test('malformed JSON bodies get each protocol\'s AWS error and the cloud keeps serving', async () => {
  await withBody(fx.c.apigw, '{"name": ', () => assert.rejects(fx.c.apigw.send(new CreateApiCommand({ Name: 'x', ProtocolType: 'HTTP' })), { name: 'BadRequestException' }));
  await withBody(fx.c.logs, '{"logGroupName": ', () => assert.rejects(fx.c.logs.send(new DescribeLogGroupsCommand({})), { name: 'SerializationException' }));
  assert.equal((await fx.c.apigw.send(new GetApiCommand({ ApiId: apiId }))).ApiId, apiId);
});

test('quick create (CreateApi with Target) makes a $default route and an auto-deploying $default stage', async () => {
  const api = await fx.c.apigw.send(new CreateApiCommand({ Name: 'quick', ProtocolType: 'HTTP', Target: fnArn }));
  const stages = await fx.c.apigw.send(new GetStagesCommand({ ApiId: api.ApiId }));
  assert.deepEqual(stages.Items?.map((s) => [s.StageName, s.AutoDeploy]), [['$default', true]]);
  const routes = await fx.c.apigw.send(new GetRoutesCommand({ ApiId: api.ApiId }));
  assert.deepEqual(routes.Items?.map((r) => r.RouteKey), ['$default']);
  await fx.c.lambda.send(new AddPermissionCommand({
    FunctionName: 'web', StatementId: 'quick', Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com',
    SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${api.ApiId}/*/$default`,
  }));
  const res = await fetch(`${fx.cloud.endpoint}/_aws/execute-api/${api.ApiId}/anything?q=1`);
  assert.equal(res.status, 201);
  assert.equal(((await res.json()) as { routeKey: string }).routeKey, '$default');
});

test('CreateLogGroup, CreateLogStream, PutLogEvents and paging through GetLogEvents', async () => {
  await fx.c.logs.send(new CreateLogGroupCommand({ logGroupName: 'app' }));
  await assert.rejects(fx.c.logs.send(new CreateLogGroupCommand({ logGroupName: 'app' })), { name: 'ResourceAlreadyExistsException' });
  await fx.c.logs.send(new CreateLogStreamCommand({ logGroupName: 'app', logStreamName: 's' }));
  const t = Date.now();
  await fx.c.logs.send(new PutLogEventsCommand({ logGroupName: 'app', logStreamName: 's', logEvents: [1, 2, 3].map((i) => ({ timestamp: t + i, message: `m${i}` })) }));
  await assert.rejects(fx.c.logs.send(new PutLogEventsCommand({ logGroupName: 'app', logStreamName: 's', logEvents: [{ timestamp: t + 9, message: 'a' }, { timestamp: t, message: 'b' }] })),
    { name: 'InvalidParameterException' });
  const first = await fx.c.logs.send(new GetLogEventsCommand({ logGroupName: 'app', logStreamName: 's', startFromHead: true, limit: 2 }));
  assert.deepEqual(first.events?.map((e) => e.message), ['m1', 'm2']);
  const next = await fx.c.logs.send(new GetLogEventsCommand({ logGroupName: 'app', logStreamName: 's', nextToken: first.nextForwardToken, limit: 2 }));
  assert.deepEqual(next.events?.map((e) => e.message), ['m3']);
  const end = await fx.c.logs.send(new GetLogEventsCommand({ logGroupName: 'app', logStreamName: 's', nextToken: next.nextForwardToken }));
  assert.deepEqual(end.events, []);
  assert.equal(end.nextForwardToken, next.nextForwardToken, 'the end of a stream answers the same token');
  const latest = await fx.c.logs.send(new GetLogEventsCommand({ logGroupName: 'app', logStreamName: 's', limit: 1 }));
  assert.deepEqual(latest.events?.map((e) => e.message), ['m3'], 'without startFromHead the newest events come back');
  await fx.c.logs.send(new DeleteLogGroupCommand({ logGroupName: 'app' }));
});

test('Logs errors have AWS shapes; DeleteLogGroup removes the group', async () => {
  await assert.rejects(fx.c.logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/nope', logStreamName: 'x' })),
    { name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  await fx.c.logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/web' }));
  const groups = await fx.c.logs.send(new DescribeLogGroupsCommand({}));
  assert.equal(groups.logGroups?.length, 0);
  await assert.rejects(fx.c.logs.send(new DeleteLogGroupCommand({ logGroupName: '/aws/lambda/web' })), { name: 'ResourceNotFoundException' });
});

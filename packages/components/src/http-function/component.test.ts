import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { HangarError, SessionCredentials } from '@hangar/core';
import { awsError, createFakeAws } from '../internal/fake-aws.js';
import type { ComponentContext } from '../sdk/component.js';
import { validateInputs } from '../sdk/validate.js';
import { createHttpFunction } from './component.js';

const instance = { orgId: 'org1', appId: 'app1', app: 'shop', stage: 'dev', name: 'api', instanceId: 'inst1' };

function setup() {
  const aws = createFakeAws();
  const sleeps: number[] = [];
  const component = createHttpFunction({ createClients: () => aws.clients, sleep: async (ms) => { sleeps.push(ms); }, maxWaitSeconds: 5 });
  const logs: string[] = [];
  let zips = 0;
  const ctx = (state: Record<string, unknown>, manifestId = 'm1'): ComponentContext => ({
    credentials: new SessionCredentials({ accessKeyId: 'ASIAFAKE', secretAccessKey: 'secret', sessionToken: 'token' }),
    region: 'us-east-1',
    instance,
    state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    source: { manifestId, zip: async () => { zips++; return new TextEncoder().encode(`zip of ${manifestId}`); } },
  });
  const inputs = (raw: Record<string, unknown> = {}) => validateInputs(component, { src: './app', ...raw });
  return { aws, component, ctx, inputs, logs, sleeps, zips: () => zips };
}

test('first deploy creates and wires everything, then an unchanged redeploy makes no AWS call at all', async () => {
  const { aws, component, ctx, inputs, logs, zips } = setup();
  const first = await component.deploy(inputs({ env: { STAGE: 'dev' } }), ctx({}));
  assert.deepEqual(aws.names().filter((n) => !n.startsWith('Get') && !n.startsWith('List') && !n.startsWith('Describe')), [
    'CreateRole', 'AttachRolePolicy', 'CreateLogGroup', 'PutRetentionPolicy', 'CreateFunction', 'CreateApi', 'CreateIntegration', 'CreateRoute', 'CreateStage', 'AddPermission',
  ]);
  const fnName = first.outputs.functionName as string;
  assert.match(fnName, /^hangar-shop-dev-api-[0-9a-f]{8}$/);
  assert.deepEqual(first.outputs, {
    url: 'https://api1.execute-api.us-east-1.amazonaws.com/', functionName: fnName,
    functionArn: `arn:aws:lambda:us-east-1:222222222222:function:${fnName}`, apiId: 'api1',
  });
  assert.deepEqual(aws.apis.get('api1')?.parts, ['integration', 'route $default -> integrations/int2', 'stage $default']);
  const created = aws.calls.find((c) => c.command === 'CreateFunctionCommand')!.input;
  assert.equal(created.Runtime, 'nodejs20.x');
  assert.equal(created.Handler, 'index.handler');
  assert.equal(created.MemorySize, 1024);
  assert.deepEqual(created.Environment, { Variables: { STAGE: 'dev' } });
  const perm = aws.calls.find((c) => c.command === 'AddPermissionCommand')!.input;
  assert.equal(perm.Principal, 'apigateway.amazonaws.com');
  assert.equal(perm.SourceArn, 'arn:aws:execute-api:us-east-1:222222222222:api1/*/*');
  assert.ok(logs.some((l) => l.startsWith('Creating execution role hangar-shop-dev-api-')), logs.join('\n'));
  assert.equal(zips(), 1);

  aws.reset();
  const again = await component.deploy(inputs({ env: { STAGE: 'dev' } }), ctx(JSON.parse(JSON.stringify(first.state))));
  assert.deepEqual(aws.names(), []);
  assert.deepEqual(again, first);
  assert.equal(zips(), 1, 'the zip is not even assembled');
});

test('a code change calls only UpdateFunctionCode; a config change only UpdateFunctionConfiguration', async () => {
  const { aws, component, ctx, inputs, logs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  aws.reset();
  const second = await component.deploy(inputs(), ctx(first.state, 'm2'));
  // Code only: the state is trusted for the log group (--refresh looks); AWS answers InProgress, so one poll.
  assert.deepEqual(aws.names(), ['UpdateFunctionCode', 'GetFunctionConfiguration']);
  assert.deepEqual(new TextDecoder().decode(aws.functions.get(first.outputs.functionName as string)!.code), 'zip of m2');
  assert.ok(logs.includes('Updating function code'));

  aws.reset();
  await component.deploy(inputs({ memory: 256, timeout: 30 }), ctx(second.state, 'm2'));
  // A configuration change looks at the log group once (drift), and finds it as Hangar left it.
  assert.deepEqual(aws.names(), ['DescribeLogGroups', 'UpdateFunctionConfiguration', 'GetFunctionConfiguration']);
  assert.equal(aws.calls[1]!.input.MemorySize, 256);
  assert.ok(logs.includes('Updating function configuration (memory, timeout)'));
});

test('a one-file change is UpdateFunctionCode alone when its answer already says Successful; InProgress is polled', async () => {
  const { aws, component, ctx, inputs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  aws.options.updatesSettled = true;
  aws.reset();
  const second = await component.deploy(inputs(), ctx(first.state, 'm2'));
  assert.deepEqual(aws.names(), ['UpdateFunctionCode']);
  assert.equal(new TextDecoder().decode(aws.functions.get(first.outputs.functionName as string)!.code), 'zip of m2');
  assert.equal((second.state.function as { codeHash: string }).codeHash, 'manifest:m2');
  aws.reset();
  const third = await component.deploy(inputs({ memory: 512 }), ctx(second.state, 'm2'));
  assert.deepEqual(aws.names(), ['DescribeLogGroups', 'UpdateFunctionConfiguration'], 'the same for a configuration update');

  // AWS's answer (InProgress): polled until Successful.
  aws.options.updatesSettled = false;
  aws.reset();
  aws.pendingStates.push({ LastUpdateStatus: 'InProgress' });
  await component.deploy(inputs({ memory: 512 }), ctx(third.state, 'm3'));
  assert.deepEqual(aws.names(), ['UpdateFunctionCode', 'GetFunctionConfiguration', 'GetFunctionConfiguration']);
});

test('the function is waited for until Lambda reports it ready, and a failed update says why', async () => {
  const { aws, component, ctx, inputs, sleeps } = setup();
  aws.pendingStates.push({ State: 'Pending', LastUpdateStatus: 'InProgress' }, { State: 'Pending' });
  const first = await component.deploy(inputs(), ctx({}));
  assert.equal(aws.names().filter((n) => n === 'GetFunctionConfiguration').length, 4, 'one observation, then three looks');
  assert.deepEqual(sleeps, [1000, 1000]);

  aws.pendingStates.push({ LastUpdateStatus: 'Failed', StateReasonCode: 'InvalidZipFileException', LastUpdateStatusReason: 'bad zip' });
  await assert.rejects(component.deploy(inputs(), ctx(first.state, 'broken')), (e: HangarError) =>
    e.code === 'COMPONENT_AWS_ERROR' && /InvalidZipFileException \(bad zip\)/.test(e.message));
});

test('a new role that Lambda cannot assume yet is retried; other errors are not', async () => {
  const { aws, component, ctx, inputs, sleeps } = setup();
  aws.failures.set('CreateFunctionCommand', [awsError('InvalidParameterValueException'), awsError('InvalidParameterValueException')]);
  await component.deploy(inputs(), ctx({}));
  assert.equal(aws.names().filter((n) => n === 'CreateFunction').length, 3);
  assert.deepEqual(sleeps, [1000, 2000]);
});

test('AWS errors keep their code and request id; AccessDenied names the missing permission', async () => {
  const { aws, component, ctx, inputs } = setup();
  aws.failures.set('CreateApiCommand', [awsError('TooManyRequestsException', 'slow down')]);
  await assert.rejects(component.deploy(inputs(), ctx({})), (e: HangarError) => {
    assert.equal(e.code, 'COMPONENT_AWS_ERROR');
    assert.equal(e.details?.awsCode, 'TooManyRequestsException');
    assert.equal(e.details?.requestId, 'req-TooManyRequestsException');
    assert.match(e.message, /slow down/);
    return true;
  });
  const fresh = setup();
  fresh.aws.failures.set('CreateRoleCommand', [awsError('AccessDenied', 'not authorized to perform iam:CreateRole')]);
  await assert.rejects(fresh.component.deploy(fresh.inputs(), fresh.ctx({})), (e: HangarError) =>
    e.code === 'COMPONENT_AWS_ACCESS_DENIED' && /iam:CreateRole on hangar-shop-dev-api-\w+ was refused \(AWS AccessDenied.*not authorized to perform iam:CreateRole\. Allow the action AWS names/.test(e.message) && e.details?.requestId === 'req-AccessDenied');
});

test('a deploy that failed half-way is finished next time without duplicating the role, function or API', async () => {
  const { aws, component, ctx, inputs } = setup();
  aws.failures.set('CreateRouteCommand', [awsError('InternalServerError')]);
  await assert.rejects(component.deploy(inputs(), ctx({})));
  assert.equal(aws.apis.size, 1);
  aws.reset();
  // The engine kept the previous (empty) state: the deploy finds what the failed one left.
  const done = await component.deploy(inputs(), ctx({}));
  const writes = aws.names().filter((n) => !n.startsWith('Get') && !n.startsWith('List') && !n.startsWith('Describe'));
  assert.deepEqual(writes, [
    'DeleteApi', 'UpdateFunctionCode', 'CreateApi', 'CreateIntegration', 'CreateRoute', 'CreateStage', 'AddPermission',
  ]);
  assert.equal(aws.roles.size, 1);
  assert.equal(aws.functions.size, 1);
  assert.deepEqual([...aws.apis.keys()], [done.outputs.apiId]);
});

test('remove deletes everything, and removing again is harmless', async () => {
  const { aws, component, ctx, inputs, logs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  aws.reset();
  await component.remove(ctx(first.state));
  assert.deepEqual(aws.names().filter((n) => n.startsWith('Delete') || n.startsWith('Remove') || n.startsWith('Detach')), [
    'DeleteApi', 'RemovePermission', 'DeleteFunction', 'DeleteLogGroup', 'DetachRolePolicy', 'DeleteRole',
  ]);
  assert.equal(aws.roles.size + aws.functions.size + aws.apis.size + aws.logGroups.size, 0);
  await component.remove(ctx(first.state));
  assert.equal(logs.at(-1), 'Nothing to remove');
  await component.remove(ctx({}));
});

test('remove tolerates resources already deleted by hand (not-found errors are recognised by name)', async () => {
  const { aws, component, ctx, inputs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  aws.apis.clear();
  aws.functions.clear();
  await component.remove(ctx(first.state));
  assert.equal(aws.roles.size, 0);
});

test('a deploy without source says how to supply it', async () => {
  const { component, ctx, inputs } = setup();
  const { source: _s, ...noSource } = ctx({});
  await assert.rejects(component.deploy(inputs(), noSource), (e: HangarError) => e.code === 'COMPONENT_SOURCE_MISSING' && /inputs\.src/.test(e.message));
});

test('a function deleted outside Hangar is noticed on the next change and created again behind the same API', async () => {
  const { aws, component, ctx, inputs, logs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  aws.functions.clear();
  aws.reset();
  const again = await component.deploy(inputs(), ctx(first.state, 'm2'));
  const writes = aws.names().filter((n) => !n.startsWith('Get') && !n.startsWith('List') && !n.startsWith('Describe'));
  assert.deepEqual(writes, ['UpdateFunctionCode', 'CreateFunction', 'AddPermission']);
  assert.equal(again.outputs.url, first.outputs.url);
  assert.equal(aws.functions.size, 1);
  assert.ok(logs.some((l) => /gone from AWS/.test(l)), logs.join('\n'));
});

test('the log group gets the retention and the instance tags, is updated in place, and is recreated when deleted outside Hangar', async () => {
  const { aws, component, ctx, inputs, logs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  const group = `/aws/lambda/${first.outputs.functionName as string}`;
  assert.deepEqual(aws.logGroups.get(group), { retentionInDays: 30, tags: { 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' } });
  assert.deepEqual(first.state.logGroup, { name: group, retentionInDays: 30, tags: { 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' } });
  assert.ok(logs.includes(`Creating log group ${group} (logs kept 30 days)`), logs.join('\n'));

  aws.reset();
  const longer = await component.deploy(inputs({ logRetentionDays: '90' }), ctx(first.state));
  assert.deepEqual(aws.names(), ['DescribeLogGroups', 'PutRetentionPolicy'], 'only the retention changes');
  assert.equal(aws.logGroups.get(group)?.retentionInDays, 90);

  aws.reset();
  const same = await component.deploy(inputs({ logRetentionDays: 90 }), ctx(longer.state));
  assert.deepEqual(aws.names(), [], 'an unchanged redeploy still calls nothing');

  // Deleted by hand, then written back by Lambda without retention or tags (what AWS does).
  aws.logGroups.set(group, { tags: {} });
  aws.reset();
  // A code-only change trusts the state; --refresh (the drift check) looks and puts it right.
  const codeOnly = await component.deploy(inputs({ logRetentionDays: 90 }), ctx(same.state, 'm2'));
  assert.deepEqual(aws.names().filter((n) => !n.startsWith('Get')), ['UpdateFunctionCode']);
  aws.reset();
  await component.deploy(inputs({ logRetentionDays: 90 }), { ...ctx(codeOnly.state, 'm2'), refresh: true });
  assert.deepEqual(aws.names().filter((n) => !n.startsWith('Get')), ['DescribeLogGroups', 'PutRetentionPolicy', 'TagResource']);
  assert.deepEqual(aws.logGroups.get(group), { retentionInDays: 90, tags: { 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' } });

  // Deleted by hand and not written back: created again on the next change.
  aws.logGroups.clear();
  aws.reset();
  const recreated = await component.deploy(inputs({ logRetentionDays: 90, memory: 512 }), ctx(same.state, 'm2'));
  assert.deepEqual(aws.names().filter((n) => !n.startsWith('Get')), ['DescribeLogGroups', 'CreateLogGroup', 'PutRetentionPolicy', 'UpdateFunctionConfiguration', 'UpdateFunctionCode']);
  assert.equal(aws.logGroups.get(group)?.retentionInDays, 90);
  assert.equal((recreated.state.logGroup as { retentionInDays: number }).retentionInDays, 90);
});

test('a group Lambda created before Hangar managed it is adopted: tagged and given its retention', async () => {
  const { aws, component, ctx, inputs } = setup();
  const first = await component.deploy(inputs(), ctx({}));
  const { logGroup: _lg, ...olderState } = first.state as Record<string, unknown>;
  const group = `/aws/lambda/${first.outputs.functionName as string}`;
  aws.logGroups.set(group, { tags: { owner: 'someone' } });
  aws.reset();
  const adopted = await component.deploy(inputs(), ctx(olderState));
  assert.deepEqual(aws.names(), ['DescribeLogGroups', 'ListTagsForResource', 'PutRetentionPolicy', 'TagResource']);
  assert.deepEqual(aws.logGroups.get(group), { retentionInDays: 30, tags: { owner: 'someone', 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' } });
  assert.deepEqual(adopted.state.logGroup, { name: group, retentionInDays: 30, tags: { owner: 'someone', 'hangar:instance': 'inst1', 'hangar:app': 'shop', 'hangar:stage': 'dev' } });
});

test('an invalid logRetentionDays is refused naming the field and the allowed values', () => {
  const { inputs } = setup();
  assert.throws(() => inputs({ logRetentionDays: 10 }), (e: HangarError) =>
    e.code === 'COMPONENT_INPUTS_INVALID'
    && e.message.includes('inputs.logRetentionDays: expected one of CloudWatch Logs\' retention periods in days: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, got 10'));
  assert.throws(() => inputs({ logRetentionDays: 'forever' }), (e: HangarError) => e.code === 'COMPONENT_INPUTS_INVALID' && /logRetentionDays/.test(e.message));
  assert.equal(inputs({}).logRetentionDays, 30);
  assert.equal(inputs({ logRetentionDays: '3653' }).logRetentionDays, 3653);
});

test('an aborted deploy stops before its next AWS call', async () => {
  const { aws, component, ctx, inputs } = setup();
  const controller = new AbortController();
  const base = ctx({});
  const log = { ...base.log, info: (m: string) => { if (m.startsWith('Creating function')) controller.abort(new Error('deployment cancelled')); } };
  await assert.rejects(component.deploy(inputs(), { ...base, log, signal: controller.signal }), /deployment cancelled/);
  assert.equal(aws.names().includes('CreateApi'), false);
});

test('checkSource: the handler\'s file must be among the uploaded paths (checked before any AWS call)', () => {
  const { aws, component, inputs } = setup();
  assert.ok(component.checkSource);
  component.checkSource(inputs(), ['index.mjs', 'package.json']);
  component.checkSource(inputs({ handler: 'src/app.handler' }), ['src/app.cjs']);
  assert.throws(() => component.checkSource!(inputs(), ['src/index.js', 'index.ts']), (e: HangarError) =>
    e.code === 'COMPONENT_HANDLER_NOT_FOUND' && /"index\.handler" needs the file index\.js, index\.mjs, index\.cjs/.test(e.message));
  assert.throws(() => component.checkSource!(inputs({ handler: 'src/app.handler' }), ['app.js']), (e: HangarError) =>
    e.code === 'COMPONENT_HANDLER_NOT_FOUND' && /src\/app\.js, src\/app\.mjs, src\/app\.cjs/.test(e.message));
  assert.equal(aws.calls.length, 0);
});

test('over the staging threshold but within the direct upload, a deployment bucket the role may not use means inline, with a warning; over the direct upload it is the error', async () => {
  const aws = createFakeAws();
  const s3Calls: string[] = [];
  const s3 = {
    send: async (cmd: { constructor: { name: string } }) => { s3Calls.push(cmd.constructor.name.replace(/Command$/, '')); throw awsError('AccessDenied', 'not authorized to perform: s3:CreateBucket'); },
    destroy() {},
  } as unknown as S3Client;
  const component = createHttpFunction({
    createClients: () => aws.clients, sleep: async () => {}, maxWaitSeconds: 5, createS3Client: () => s3,
    limits: { directUploadBytes: 1000, unzippedBytes: 1_000_000, stagingBytes: 10 },
  });
  const logs: string[] = [];
  const ctx = (bytes: Uint8Array): ComponentContext => ({
    credentials: new SessionCredentials({ accessKeyId: 'ASIAFAKE', secretAccessKey: 'secret', sessionToken: 'token' }),
    region: 'us-east-1', instance, state: {},
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(`warn: ${m}`), error: (m) => logs.push(m) },
    source: { manifestId: `m${bytes.length}`, zip: async () => bytes, file: async () => ({ size: bytes.length, stream: () => Readable.from([Buffer.from(bytes)]) }) },
  });
  const zip = new TextEncoder().encode('a zip over the 10-byte threshold');
  const out = await component.deploy(validateInputs(component, { src: './app' }), ctx(zip));
  assert.deepEqual(s3Calls, ['CreateBucket']);
  assert.deepEqual(aws.functions.get(out.outputs.functionName as string)!.code, zip, 'sent inline');
  assert.ok(logs.some((l) => /^warn: Could not use the deployment bucket s3:\/\/hangar-deploy-us-east-1-[0-9a-f]{16} .*inline instead\. Allow s3:CreateBucket, s3:PutObject/.test(l)), logs.join('\n'));

  await assert.rejects(component.deploy(validateInputs(component, { src: './app' }), ctx(new Uint8Array(2000))), (e: HangarError) =>
    e.code === 'COMPONENT_AWS_ACCESS_DENIED' && /s3:CreateBucket/.test(e.message));
});

test('a streamed PutObject that S3 answers 503 is sent again from a fresh stream of the file (the SDK does not retry streams); a 4xx is not', async () => {
  const aws = createFakeAws();
  const puts: { body: Readable; destroyed: () => boolean }[] = [];
  const failures: Error[] = [Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503, requestId: 'req-slow' } })];
  const s3 = {
    send: async (cmd: { constructor: { name: string }; input: { Body?: unknown } }) => {
      if (cmd.constructor.name !== 'PutObjectCommand') return {};
      const body = cmd.input.Body as Readable;
      puts.push({ body, destroyed: () => body.destroyed });
      const failure = failures.shift();
      if (failure) throw failure;
      for await (const _ of body) { /* S3 reads it */ }
      return {};
    },
    destroy() {},
  } as unknown as S3Client;
  const component = createHttpFunction({
    createClients: () => aws.clients, sleep: async () => {}, maxWaitSeconds: 5, createS3Client: () => s3,
    limits: { directUploadBytes: 1000, unzippedBytes: 1_000_000, stagingBytes: 10 },
  });
  const zip = new TextEncoder().encode('a zip over the 10-byte threshold');
  let streams = 0;
  const ctx = (): ComponentContext => ({
    credentials: new SessionCredentials({ accessKeyId: 'ASIAFAKE', secretAccessKey: 'secret', sessionToken: 'token' }),
    region: 'us-east-1', instance, state: {}, log: { info() {}, warn() {}, error() {} },
    source: { manifestId: 'm1', zip: async () => { throw new Error('streamed, not read whole'); }, file: async () => ({ size: zip.length, stream: () => { streams++; return Readable.from([Buffer.from(zip)]); } }) },
  });
  await component.deploy(validateInputs(component, { src: './app' }), ctx());
  assert.equal(puts.length, 2);
  assert.equal(streams, 2);
  assert.notEqual(puts[0]!.body, puts[1]!.body);
  assert.ok(puts[0]!.destroyed(), 'the stream of the failed attempt is closed');
  const code = aws.calls.find((c) => c.command === 'CreateFunctionCommand')!.input.Code as Record<string, unknown>;
  assert.match(String(code.S3Key), /^inst1\/code\/m1\.zip$/);

  failures.push(awsError('AccessDenied'));
  puts.length = 0;
  const fresh = createFakeAws();
  const again = createHttpFunction({ createClients: () => fresh.clients, sleep: async () => {}, maxWaitSeconds: 5, createS3Client: () => s3, limits: { directUploadBytes: 10, unzippedBytes: 1_000_000 } });
  await assert.rejects(again.deploy(validateInputs(again, { src: './app' }), ctx()), (e: HangarError) => e.code === 'COMPONENT_AWS_ACCESS_DENIED');
  assert.equal(puts.length, 1, 'a refusal is not retried');
});

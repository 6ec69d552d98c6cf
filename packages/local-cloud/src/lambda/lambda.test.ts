import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  AddPermissionCommand, CreateFunctionCommand, DeleteFunctionCommand, GetFunctionCommand, GetFunctionConfigurationCommand,
  GetPolicyCommand, InvokeCommand, ListFunctionsCommand, RemovePermissionCommand, UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ACCOUNT, clientsFor, destroyClients, fixture, zipOf, type Fixture, closeFixture } from './test-support.js';

const CANARY = 'server-env-canary-7f3a';
process.env.HANGAR_TEST_CANARY = CANARY;

const MAIN = `
let count = 0;
export const handler = async (event, context) => {
  count += 1;
  console.log('invoked with', JSON.stringify(event));
  if (event.fail) throw new TypeError('boom: ' + event.fail);
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.exit) process.exit(3);
  return {
    count, pid: process.pid, greeting: process.env.GREETING ?? null, canary: process.env.HANGAR_TEST_CANARY ?? null,
    keyId: process.env.AWS_ACCESS_KEY_ID, region: process.env.AWS_REGION, fn: process.env.AWS_LAMBDA_FUNCTION_NAME,
    endpoint: process.env.AWS_ENDPOINT_URL, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId,
    version: 'v1',
  };
};
`;

const WHO = `
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
exports.handler = async () => (await new STSClient({}).send(new GetCallerIdentityCommand({}))).Arn;
`;

let fx: Fixture;
const dec = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));
const invoke = (FunctionName: string, event: unknown, extra: Record<string, unknown> = {}) =>
  fx.c.lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from(JSON.stringify(event)), ...extra }));

async function deploy(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  const zip = zipOf(files);
  const out = await fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra,
  }));
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
  return { out, zip };
}

before(async () => {
  fx = await fixture();
});

after(async () => {
  await closeFixture(fx);
});

test('a function deployed from a zip runs warm with its own env and role credentials, not the server env', async () => {
  const { out, zip } = await deploy('main', { 'index.mjs': MAIN }, { Environment: { Variables: { GREETING: 'hello' } }, Timeout: 5 });
  assert.equal(out.State, 'Pending');
  assert.equal(out.CodeSha256, createHash('sha256').update(zip).digest('base64'));
  assert.equal(out.CodeSize, zip.length);
  assert.equal(out.FunctionArn, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:main`);
  const got = await fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'main' }));
  assert.equal(got.Configuration?.State, 'Active');
  assert.equal(got.Configuration?.LastUpdateStatus, 'Successful');
  const code = await fetch(got.Code?.Location as string);
  assert.equal(createHash('sha256').update(Buffer.from(await code.arrayBuffer())).digest('base64'), out.CodeSha256);

  const first = await invoke('main', { n: 1 });
  assert.equal(first.StatusCode, 200);
  assert.equal(first.FunctionError, undefined);
  assert.equal(first.ExecutedVersion, '$LATEST');
  const a = dec(first.Payload);
  const b = dec((await invoke('main', { n: 2 })).Payload);
  assert.equal(a.count, 1);
  assert.equal(b.count, 2, 'the second invocation reuses the warm process');
  assert.equal(b.pid, a.pid);
  assert.equal(a.greeting, 'hello');
  assert.equal(a.canary, null, 'nothing of the server environment reaches the function');
  assert.match(a.keyId, /^ASIA/);
  assert.notEqual(a.keyId, fx.root.accessKeyId);
  assert.equal(a.region, 'us-east-1');
  assert.equal(a.fn, 'main');
  assert.equal(a.endpoint, fx.cloud.endpoint);
  assert.ok(a.remaining > 3000 && a.remaining <= 5000);

  const list = await fx.c.lambda.send(new ListFunctionsCommand({}));
  assert.ok(list.Functions?.some((f) => f.FunctionName === 'main'));
  const cfg = await fx.c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:main` }));
  assert.deepEqual(cfg.Environment?.Variables, { GREETING: 'hello' });
});

test('Event and DryRun invocations answer 202 and 204; Event still runs', async () => {
  const ev = await invoke('main', { marker: 'async-run-1' }, { InvocationType: 'Event' });
  assert.equal(ev.StatusCode, 202);
  const dry = await invoke('main', {}, { InvocationType: 'DryRun' });
  assert.equal(dry.StatusCode, 204);
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  let seen = false;
  for (let i = 0; i < 150 && !seen; i++) {
    const r = await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/main', filterPattern: '"async-run-1"' }));
    seen = (r.events?.length ?? 0) > 0;
    if (!seen) await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(seen, 'the asynchronous invocation wrote its log line');
});

test('an unhandled error, a timeout and a crash are reported the way Lambda reports them', async () => {
  const err = await invoke('main', { fail: 'bad input' }, { LogType: 'Tail' });
  assert.equal(err.StatusCode, 200);
  assert.equal(err.FunctionError, 'Unhandled');
  const body = dec(err.Payload);
  assert.equal(body.errorType, 'TypeError');
  assert.equal(body.errorMessage, 'boom: bad input');
  assert.ok(Array.isArray(body.trace) && body.trace[0].startsWith('TypeError: boom'));
  const tail = Buffer.from(err.LogResult ?? '', 'base64').toString('utf8');
  assert.match(tail, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
  assert.match(tail, /Invoke Error/);
  assert.match(tail, /REPORT RequestId: .*Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/);

  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'main', Timeout: 1 }));
  await waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'main' });
  const started = Date.now();
  const slow = await invoke('main', { sleepMs: 60_000 });
  assert.ok(Date.now() - started < 20_000, 'the timeout is enforced');
  assert.equal(slow.FunctionError, 'Unhandled');
  const t = dec(slow.Payload);
  assert.equal(t.errorType, 'Sandbox.Timedout');
  assert.match(t.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/);

  const crash = await invoke('main', { exit: true });
  assert.equal(crash.FunctionError, 'Unhandled');
  assert.equal(dec(crash.Payload).errorType, 'Runtime.ExitError');
  assert.match(dec(crash.Payload).errorMessage, /Runtime exited with error: exit status 3/);

  const ok = await invoke('main', {});
  assert.equal(ok.FunctionError, undefined, 'a fresh environment serves after a timeout and a crash');
  assert.equal(dec(ok.Payload).count, 1);
});

test('a syntax error in the handler\'s code is Runtime.UserCodeSyntaxError, as AWS\'s Node.js runtime reports it', async () => {
  await deploy('syntax', { 'index.js': 'exports.handler = async () => { return 1;; ) };' });
  const out = await invoke('syntax', {}, { LogType: 'Tail' });
  assert.equal(out.FunctionError, 'Unhandled');
  const body = dec(out.Payload);
  assert.equal(body.errorType, 'Runtime.UserCodeSyntaxError');
  assert.match(body.errorMessage, /^SyntaxError: /);
  assert.match(body.trace[0], /^Runtime\.UserCodeSyntaxError: SyntaxError: /);
});

test('configuration and code updates take effect; the waiters see the update finish', async () => {
  const upd = await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'main', Environment: { Variables: { GREETING: 'bonjour' } }, MemorySize: 256, Timeout: 5 }));
  assert.equal(upd.LastUpdateStatus, 'InProgress');
  await waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'main' });
  const r = dec((await invoke('main', {})).Payload);
  assert.equal(r.greeting, 'bonjour');
  const code = await fx.c.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'main', ZipFile: zipOf({ 'index.mjs': MAIN.replace("version: 'v1'", "version: 'v2'") }) }));
  await waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'main' });
  assert.notEqual(code.CodeSha256, undefined);
  assert.equal(dec((await invoke('main', {})).Payload).version, 'v2');
});

test('handlers use their execution role credentials against the local cloud (CommonJS, SDK from the runtime)', async () => {
  await deploy('who', { 'index.js': WHO }, { Timeout: 10 });
  const r = await invoke('who', {});
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  assert.equal(dec(r.Payload), `arn:aws:sts::${ACCOUNT}:assumed-role/fn-role/who`);
});

test('the execution role must exist and trust lambda.amazonaws.com', async () => {
  const ec2 = await fx.c.iam.send(new CreateRoleCommand({
    RoleName: 'ec2-role',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
  }));
  for (const Role of [ec2.Role?.Arn as string, `arn:aws:iam::${ACCOUNT}:role/missing`]) {
    await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
      FunctionName: 'nope', Runtime: 'nodejs20.x', Role, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.mjs': MAIN }) },
    })), { name: 'InvalidParameterValueException', message: 'The role defined for the function cannot be assumed by Lambda.' });
  }
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'main', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.mjs': MAIN }) },
  })), { name: 'ResourceConflictException', message: 'Function already exist: main' });
  await assert.rejects(fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'ghost' })),
    { name: 'ResourceNotFoundException', message: `Function not found: arn:aws:lambda:us-east-1:${ACCOUNT}:function:ghost` });
});

test('resource policy: statement ids, duplicates, GetPolicy and RemovePermission', async () => {
  await assert.rejects(fx.c.lambda.send(new GetPolicyCommand({ FunctionName: 'who' })), { name: 'ResourceNotFoundException' });
  const added = await fx.c.lambda.send(new AddPermissionCommand({ FunctionName: 'who', StatementId: 's1', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceAccount: ACCOUNT }));
  assert.deepEqual(JSON.parse(added.Statement as string).Principal, { Service: 's3.amazonaws.com' });
  await assert.rejects(fx.c.lambda.send(new AddPermissionCommand({ FunctionName: 'who', StatementId: 's1', Action: 'lambda:InvokeFunction', Principal: '*' })), { name: 'ResourceConflictException' });
  const policy = JSON.parse((await fx.c.lambda.send(new GetPolicyCommand({ FunctionName: 'who' }))).Policy as string);
  assert.equal(policy.Version, '2012-10-17');
  assert.deepEqual(policy.Statement.map((s: { Sid: string }) => s.Sid), ['s1']);
  await fx.c.lambda.send(new RemovePermissionCommand({ FunctionName: 'who', StatementId: 's1' }));
  await assert.rejects(fx.c.lambda.send(new RemovePermissionCommand({ FunctionName: 'who', StatementId: 's1' })), { name: 'ResourceNotFoundException' });
});

test('bad input gets AWS-shaped errors and the cloud keeps serving', async () => {
  const big = new Uint8Array(51 * 1024 * 1024);
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'big', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: big },
  })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, 'RequestEntityTooLargeException');
    assert.equal(e.$metadata?.httpStatusCode, 413);
    return true;
  });
  // A zip whose directory claims 300 MB unpacked.
  const zip = Buffer.from(zipOf({ 'index.mjs': MAIN }));
  const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  zip.writeUInt32LE(300 * 1024 * 1024, cd + 24);
  zip.writeUInt32LE(300 * 1024 * 1024, 22);
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'huge', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zip },
  })), { name: 'InvalidParameterValueException', message: 'Unzipped size must be smaller than 262144000 bytes' });
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'junk', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: Buffer.from('not a zip') },
  })), { name: 'InvalidParameterValueException', message: /Could not unzip uploaded file/ });
  // An entry escaping the package (zip slip) is refused before anything is unpacked.
  await assert.rejects(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'slip', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.mjs': MAIN, '../../slip.mjs': MAIN }) },
  })), { name: 'InvalidParameterValueException', message: 'Could not unzip uploaded file: the entry "../../slip.mjs" points outside the package.' });
  await assert.rejects(fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'slip' })), { name: 'ResourceNotFoundException' });

  const malformed = fx.c.lambda;
  const mw = (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
    const request = (args as { request: { body: unknown; headers: Record<string, string> } }).request;
    request.body = '{"FunctionName": ';
    request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
    return next(args);
  };
  malformed.middlewareStack.add(mw as never, { step: 'build', name: 'breakBody' });
  try {
    await assert.rejects(malformed.send(new CreateFunctionCommand({ FunctionName: 'x', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: new Uint8Array(1) } })),
      { name: 'InvalidRequestContentException' });
    await assert.rejects(malformed.send(new InvokeCommand({ FunctionName: 'main', Payload: Buffer.from('{}') })), { name: 'InvalidRequestContentException' });
  } finally {
    malformed.middlewareStack.remove('breakBody');
  }
  assert.equal(dec((await invoke('main', {})).Payload).version, 'v2');
});

test('every operation is authorised: a user allowed to invoke one function can do only that', async () => {
  await fx.c.iam.send(new CreateUserCommand({ UserName: 'caller' }));
  await fx.c.iam.send(new PutUserPolicyCommand({
    UserName: 'caller', PolicyName: 'invoke-main',
    PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:main` }] }),
  }));
  const key = (await fx.c.iam.send(new CreateAccessKeyCommand({ UserName: 'caller' }))).AccessKey;
  const user = clientsFor(fx.cloud.endpoint, { accessKeyId: key?.AccessKeyId as string, secretAccessKey: key?.SecretAccessKey as string });
  try {
    const ok = await user.lambda.send(new InvokeCommand({ FunctionName: 'main', Payload: Buffer.from('{}') }));
    assert.equal(ok.FunctionError, undefined);
    await assert.rejects(user.lambda.send(new InvokeCommand({ FunctionName: 'who' })), { name: 'AccessDeniedException' });
    await assert.rejects(user.lambda.send(new ListFunctionsCommand({})), { name: 'AccessDeniedException' });
    await assert.rejects(user.lambda.send(new DeleteFunctionCommand({ FunctionName: 'main' })), { name: 'AccessDeniedException' });
  } finally {
    destroyClients(user);
  }
});

test('concurrent invocations run in separate execution environments', async () => {
  const outs = await Promise.all([1, 2, 3].map(() => invoke('main', { sleepMs: 2500 })));
  const pids = new Set(outs.map((o) => dec(o.Payload).pid));
  assert.equal(pids.size, 3);
});

test('DeleteFunction removes it', async () => {
  await deploy('temp', { 'index.mjs': MAIN });
  await fx.c.lambda.send(new DeleteFunctionCommand({ FunctionName: 'temp' }));
  await assert.rejects(fx.c.lambda.send(new GetFunctionCommand({ FunctionName: 'temp' })), { name: 'ResourceNotFoundException' });
});

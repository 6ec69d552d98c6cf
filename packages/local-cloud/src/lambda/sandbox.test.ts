/**
 * The function sandbox, through AWS SDK clients: a hostile handler can read nothing of the host
 * (the server's environment, its data dir, files outside its task root), start nothing, and not
 * reach /_local/*; it still reads its own code, writes its own temp dir and calls AWS with its
 * role. Handler strings that leave the task root are refused at Create/UpdateFunctionConfiguration.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateFunctionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionConfigurationCommand, waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { rejectsWith } from '../test-support.js';
import { breakages, escapes, SANDBOX_PROBE, type ProbeReport } from './sandbox-probe.js';
import { fixture, zipOf, type Fixture } from './test-support.js';

const CANARY = 'sandbox-server-env-canary-5d1e';
process.env.HANGAR_SANDBOX_CANARY = CANARY;

let fx: Fixture;
const dec = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8')) as unknown;

async function deploy(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  await fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Code: { ZipFile: zipOf(files) }, Timeout: 20, ...extra,
  }));
  await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
}

const probe = async (name: string, event: unknown) => JSON.parse((await invoke(name, event) as { body: string }).body) as ProbeReport;

async function invoke(name: string, event: unknown) {
  const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
  return dec(out.Payload);
}

before(async () => {
  fx = await fixture();
  // Secrets of the host the function must not see: the cloud's own data dir holds its state and admin token.
  mkdirSync(join(fx.dataDir, 'secrets'), { recursive: true });
  writeFileSync(join(fx.dataDir, 'secrets', 'key.txt'), 'host-secret');
});

after(async () => {
  for (const c of Object.values(fx.c)) c.destroy();
  await fx.cloud.stop();
  await rm(fx.dataDir, { recursive: true, force: true });
});

test('a hostile handler reads nothing of the host, starts nothing, cannot reach /_local/*; it still reads its code, writes its tmp and calls AWS', async () => {
  await deploy('probe', { 'index.mjs': SANDBOX_PROBE, 'data.txt': 'my own data' });
  const report = await probe('probe', {
    paths: {
      'cloud state': join(fx.dataDir, 'state.json'),
      'admin token': join(fx.dataDir, 'admin-token'),
      'host secret': join(fx.dataDir, 'secrets', 'key.txt'),
      'own zip': join(fx.dataDir, 'lambda', '111111111111', 'us-east-1', 'probe', '1.zip'),
    },
    dirs: { 'data dir': fx.dataDir, 'code root': join(fx.dataDir, 'lambda') },
  });
  assert.deepEqual(escapes(report), [], 'every escape attempt is refused');
  assert.deepEqual(breakages(report), [], 'what a function needs still works');
  assert.equal(report.allow['own file']?.value, 'my own data');
  assert.equal(report.allow['tmp write']?.value, 'written in tmp');
  assert.match(String(report.allow['sdk with role']?.value), /^arn:aws:sts::111111111111:assumed-role\/fn-role\/probe$/);
  assert.equal(report.deny['read parent environ']?.code, 'ERR_ACCESS_DENIED');
  assert.equal(report.deny['spawn sync']?.code, 'ERR_ACCESS_DENIED');
  assert.equal(report.deny['worker']?.code, 'ERR_ACCESS_DENIED');
  assert.equal(report.deny['native addon']?.code, 'ERR_DLOPEN_DISABLED');
  assert.equal(report.deny['signal parent']?.code, 'EPERM');
  assert.equal(report.deny['admin route']?.code, 'HTTP 401');
  assert.equal(report.env.HANGAR_SANDBOX_CANARY, undefined, 'the server environment is not inherited');
  assert.ok(!JSON.stringify(report).includes(CANARY));
  assert.ok(!JSON.stringify(report).includes(fx.cloud.adminToken));

  // Its temp dir is its own (TMPDIR), outside the data dir, and goes away with the environment.
  assert.equal(report.env.TMPDIR, report.tmpdir);
  assert.ok(!report.tmpdir.startsWith(fx.dataDir));
  assert.ok(existsSync(report.tmpdir));
  await fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'probe', Description: 'retire the warm environment' }));
  await waitUntilFunctionUpdatedV2({ client: fx.c.lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'probe' });
  const next = await probe('probe', {});
  assert.notEqual(next.tmpdir, report.tmpdir, 'a new environment gets a new temp dir');
  assert.ok(!existsSync(report.tmpdir), 'the retired environment\'s temp dir is removed');
});

test('with layers, a function reads its own /opt and nothing else of the code root: not other layers, not other functions\' /opt', async () => {
  const mine = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'mine', Content: { ZipFile: zipOf({ 'nodejs/node_modules/m/index.js': 'module.exports = "layer file";' }) } }));
  const other = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'other', Content: { ZipFile: zipOf({ 'nodejs/secret.txt': 'other layer' }) } }));
  const third = await fx.c.lambda.send(new PublishLayerVersionCommand({ LayerName: 'third', Content: { ZipFile: zipOf({ 'nodejs/third.txt': 'third layer' }) } }));
  // Two layers: merged into the function's own opt-1. One layer: /opt is that version's folder.
  await deploy('with-other', { 'index.js': 'exports.handler = async () => 1;' }, { Layers: [other.LayerVersionArn, third.LayerVersionArn] });
  await deploy('with-third', { 'index.js': 'exports.handler = async () => 1;' }, { Layers: [third.LayerVersionArn] });
  await deploy('layered', { 'index.mjs': SANDBOX_PROBE, 'data.txt': 'mine' }, { Layers: [mine.LayerVersionArn] });
  const code = join(fx.dataDir, 'lambda');
  const store = (name: string, ...rest: string[]) => join(code, 'layers', '111111111111', 'us-east-1', name, '1', ...rest);
  const report = await probe('layered', {
    paths: {
      'unused layer in the store': store('other', 'nodejs', 'secret.txt'),
      'layer of another function (its /opt)': store('third', 'nodejs', 'third.txt'),
      'other function opt': join(code, '111111111111', 'us-east-1', 'with-other', 'opt-1', 'nodejs', 'secret.txt'),
      'other function code': join(code, '111111111111', 'us-east-1', 'with-other', '1', 'index.js'),
      'host secret': join(fx.dataDir, 'secrets', 'key.txt'),
    },
    dirs: {
      'layer store': join(code, 'layers'), 'layers of the account': join(code, 'layers', '111111111111', 'us-east-1'),
      'function folder': join(code, '111111111111', 'us-east-1', 'layered'),
    },
  });
  assert.deepEqual(escapes(report), [], 'every escape attempt is refused');
  assert.deepEqual(breakages(report), [], 'what a function needs still works');
  assert.equal(report.deny['read other function opt']?.code, 'ERR_ACCESS_DENIED');
  assert.equal(report.deny['read layer of another function (its /opt)']?.code, 'ERR_ACCESS_DENIED');
  assert.ok(existsSync(join(code, '111111111111', 'us-east-1', 'with-other', 'opt-1', 'nodejs', 'secret.txt')), 'the refused file is there');
  // Its own /opt is its one layer's folder: readable, by path and as a package.
  const own = await probe('layered', { paths: { 'own opt': store('mine', 'nodejs', 'node_modules', 'm', 'index.js') } });
  assert.equal(own.deny['read own opt']?.value, 'module.exports = "layer file";', 'its own layer is readable');
  assert.ok(!readdirSync(join(code, '111111111111', 'us-east-1', 'layered')).some((n) => n.startsWith('opt-')), 'one layer: nothing merged');
});

test('variables that would lift the sandbox (NODE_OPTIONS grants, LD_PRELOAD) are not passed; harmless ones are', async () => {
  await deploy('envy', {
    'index.js': `exports.handler = async () => ({
      env: process.env,
      read: (() => { try { return require('fs').readFileSync('/etc/passwd', 'utf8').slice(0, 10); } catch (e) { return e.code; } })(),
      sourceMaps: process.sourceMapsEnabled,
    });`,
  }, { Environment: { Variables: { NODE_OPTIONS: '--allow-fs-read=* --allow-child-process', LD_PRELOAD: '/tmp/evil.so', NODE_ENV: 'production', KEEP: 'yes' } } });
  const out = await invoke('envy', {}) as { env: Record<string, string>; read: string };
  assert.equal(out.read, 'ERR_ACCESS_DENIED');
  assert.equal(out.env.NODE_OPTIONS, undefined);
  assert.equal(out.env.LD_PRELOAD, undefined);
  assert.equal(out.env.NODE_ENV, 'production');
  assert.equal(out.env.KEEP, 'yes');
  const logged = await fx.c.logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/envy', filterPattern: '"did not pass"' }));
  assert.match(logged.events?.[0]?.message ?? '', /WARN\tThe local cloud did not pass the environment variables NODE_OPTIONS, LD_PRELOAD to this function/);

  await deploy('maps', { 'index.js': 'exports.handler = async () => ({ sourceMaps: process.sourceMapsEnabled, opts: process.env.NODE_OPTIONS });' }, {
    Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
  });
  assert.deepEqual(await invoke('maps', {}), { sourceMaps: true, opts: '--enable-source-maps' });
});

test('a handler that leaves the task root is refused at CreateFunction and UpdateFunctionConfiguration', async () => {
  for (const Handler of ['../../../../etc/passwd.handler', '/etc/passwd.handler', 'lib/../../x.handler', '..']) {
    const e = await rejectsWith(fx.c.lambda.send(new CreateFunctionCommand({
      FunctionName: 'escape', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler, Code: { ZipFile: zipOf({ 'index.js': 'exports.handler = async () => 1;' }) },
    })), 'InvalidParameterValueException', 400);
    assert.match(e.message, /must name a module inside the function's code/);
  }
  await rejectsWith(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'escape', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index handler', Code: { ZipFile: zipOf({ 'index.js': '' }) },
  })), 'ValidationException', 400);
  await rejectsWith(fx.c.lambda.send(new CreateFunctionCommand({
    FunctionName: 'escape', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: `${'a'.repeat(126)}.h1`, Code: { ZipFile: zipOf({ 'index.js': '' }) },
  })), 'ValidationException', 400);
  assert.ok(!readdirSync(join(fx.dataDir, 'lambda', '111111111111', 'us-east-1')).includes('escape'), 'nothing was stored');

  await deploy('nested', { 'lib/app.js': 'exports.handler = async () => "nested ok";' }, { Handler: 'lib/app.handler' });
  assert.equal(await invoke('nested', {}), 'nested ok');
  const e = await rejectsWith(fx.c.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'nested', Handler: 'lib/../../../x.handler' })), 'InvalidParameterValueException', 400);
  assert.match(e.message, /no '\.\.' path segment/);
  assert.equal(await invoke('nested', {}), 'nested ok', 'the configuration did not change');
});

test('cold and warm invocations still work under the sandbox (cold-start cost printed for the record)', async () => {
  await deploy('timing', { 'index.js': 'exports.handler = async (e) => e.n * 2;' });
  const t0 = performance.now();
  assert.equal(await invoke('timing', { n: 1 }), 2);
  const cold = performance.now() - t0;
  const t1 = performance.now();
  assert.equal(await invoke('timing', { n: 2 }), 4);
  const warm = performance.now() - t1;
  console.log(`sandboxed invocation: cold ${cold.toFixed(0)} ms, warm ${warm.toFixed(0)} ms`);
});

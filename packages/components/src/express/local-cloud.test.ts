/**
 * express against the local cloud: a real Express 5 app (with its node_modules, as a user's
 * folder has them) served by Lambda behind an HTTP API through the bundled serverless-http.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SessionCredentials } from '@hangar/core';
import { createAccount, startLocalCloud, type LocalCloud } from '@hangar/local-cloud';
import { strToU8, zipSync, type Zippable } from 'fflate';
import { awsClientConfig } from '../sdk/aws-clients.js';
import { isAwsError } from '../sdk/aws-errors.js';
import type { ComponentContext } from '../sdk/component.js';
import { validateInputs } from '../sdk/validate.js';
import { createExpress } from './component.js';

let cloud: LocalCloud;
let credentials: SessionCredentials;
const region = 'us-east-1';

/** `express` and every package it depends on, laid out as npm installed them (paths from the repo root). */
function expressModules(): Zippable {
  const require = createRequire(import.meta.url);
  const root = dirname(dirname(dirname(require.resolve('express/package.json'))));
  const files: Zippable = {};
  const seen = new Set<string>();
  const addDir = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') addDir(abs);
      } else if (e.isFile()) {
        files[relative(root, abs).split('\\').join('/')] = readFileSync(abs);
      }
    }
  };
  const visit = (name: string, from: string) => {
    // Node's lookup: the nearest node_modules/<name> from the requiring package upwards.
    let dir = from;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        addDir(candidate);
        const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
        for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, candidate);
        return;
      }
      if (dir === root || dirname(dir) === dir) throw new Error(`cannot find ${name} from ${from}`);
      dir = dirname(dir);
    }
  };
  visit('express', root);
  return files;
}

const modules = expressModules();

function appZip(version: string): Uint8Array {
  const app = `import express from 'express';
const app = express();
app.use(express.json());
app.get('/', (req, res) => res.json({ hello: 'express', version: ${JSON.stringify(version)} }));
app.get('/items/:id', (req, res) => res.json({ id: req.params.id, q: req.query.q ?? null }));
app.post('/echo', (req, res) => res.status(201).json({ got: req.body }));
export default app;
`;
  return zipSync({ ...modules, 'src/app.mjs': strToU8(app), 'package.json': strToU8('{"name":"api","type":"module"}') });
}

const instance = { orgId: 'org_1', appId: 'app_1', app: 'todo', stage: 'dev', name: 'api', instanceId: 'inst_express_1' };

function context(state: Record<string, unknown>, manifestId: string, version: string, logs: string[] = []): ComponentContext {
  return {
    credentials, region, endpoint: cloud.endpoint, instance, state,
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    source: { manifestId, zip: async () => appZip(version) },
  };
}

before(async () => {
  cloud = await startLocalCloud({ port: 0, log: () => {} });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '555555555555' });
  credentials = new SessionCredentials({ accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey });
});

after(async () => {
  await cloud?.stop();
});

test('express: routes, params and JSON bodies reach the app; no-op; code update; drift; remove', async () => {
  const component = createExpress({ maxWaitSeconds: 30 });
  const inputs = validateInputs(component, { src: './', entry: 'src/app.mjs', env: { GREETING: 'b' } });
  const logs: string[] = [];
  const first = await component.deploy(inputs, context({}, 'm1', 'v1', logs));
  const url = first.outputs.url as string;

  const home = await fetch(url);
  assert.equal(home.status, 200, await home.clone().text());
  assert.deepEqual(await home.json(), { hello: 'express', version: 'v1' });
  assert.deepEqual(await (await fetch(`${url}items/42?q=x`)).json(), { id: '42', q: 'x' });
  const posted = await fetch(`${url}echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 1 }) });
  assert.equal(posted.status, 201);
  assert.deepEqual(await posted.json(), { got: { a: 1 } });
  assert.equal((await fetch(`${url}nope`)).status, 404);

  // no-op: nothing changes, nothing is bundled
  let zipped = 0;
  const counting = (state: Record<string, unknown>, m: string, v: string): ComponentContext => {
    const c = context(state, m, v, logs);
    return { ...c, source: { manifestId: m, zip: () => { zipped++; return c.source!.zip(); } } };
  };
  const same = await component.deploy(inputs, counting(first.state, 'm1', 'v1'));
  assert.equal(zipped, 0);
  assert.deepEqual(same.outputs, first.outputs);

  // update in place: new code behind the same URL
  const second = await component.deploy(inputs, counting(same.state, 'm2', 'v2'));
  assert.equal(zipped, 1);
  assert.equal(second.outputs.url, url);
  assert.deepEqual(await (await fetch(url)).json(), { hello: 'express', version: 'v2' });

  // drift: the function deleted behind Hangar's back comes back on the next change
  const lambda = new LambdaClient(awsClientConfig({ credentials, region, endpoint: cloud.endpoint }));
  try {
    const { DeleteFunctionCommand } = await import('@aws-sdk/client-lambda');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: second.outputs.functionName as string }));
    const third = await component.deploy(inputs, context(second.state, 'm3', 'v3', logs));
    assert.deepEqual(await (await fetch(third.outputs.url as string)).json(), { hello: 'express', version: 'v3' });

    await component.remove(context(third.state, 'm3', 'v3'));
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: third.outputs.functionName as string })), (e) => isAwsError(e, 'ResourceNotFoundException'));
  } finally {
    lambda.destroy();
  }
});

test('express: the entry must be in src, before anything is deployed', () => {
  const component = createExpress();
  const inputs = validateInputs(component, {});
  assert.equal(inputs.entry, 'app.js');
  assert.doesNotThrow(() => component.checkSource!(inputs, ['app.js', 'node_modules/express/index.js']));
  assert.throws(() => component.checkSource!(inputs, ['server.js']), { code: 'EXPRESS_ENTRY_NOT_FOUND', message: /inputs\.entry is app\.js/ });
  assert.throws(() => validateInputs(component, { handler: 'index.handler' }), { code: 'COMPONENT_INPUTS_INVALID' });
  assert.throws(() => validateInputs(component, { entry: 'app.ts' }), { code: 'COMPONENT_INPUTS_INVALID' });
});

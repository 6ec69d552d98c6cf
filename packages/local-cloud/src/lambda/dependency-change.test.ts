/**
 * A dependency change as Hangar makes it, through the AWS SDK: a new version of the function's
 * one layer, UpdateFunctionConfiguration to it, DeleteLayerVersion of the old one. Counted on
 * disk: switching links no file (the function's /opt is the version's own folder), and the old
 * version's files are freed, after the answer, exactly when nothing uses them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  CreateFunctionCommand, DeleteLayerVersionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2, waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { ACCOUNT, REGION, destroyClients, fixture, zipOf, type Fixture } from './test-support.js';

let fx: Fixture;
before(async () => {
  fx = await fixture();
});
after(async () => {
  destroyClients(fx.c);
  await fx.cloud.stop();
  await rm(fx.dataDir, { recursive: true, force: true });
});

/** `count` packages under nodejs/node_modules, plus `extra`. */
const deps = (count: number, extra: Record<string, string> = {}) => zipOf({
  ...Object.fromEntries(Array.from({ length: count }, (_, i) => [`nodejs/node_modules/pkg${i}/index.js`, `module.exports = ${i};`])),
  ...extra,
});

/** Every file under `dir` with its link count. */
function links(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.set(relative(dir, join(d, e.name)), statSync(join(d, e.name)).nlink);
    }
  };
  walk(dir);
  return out;
}

test('a dependency change links no file to switch the function, and frees the old version\'s files once nothing uses them', async () => {
  const lambda = fx.c.lambda;
  const v1 = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'deps', Content: { ZipFile: deps(40, { 'nodejs/node_modules/old-only/index.js': 'module.exports = "old";' }) } }));
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'app', Runtime: 'nodejs20.x', Role: fx.roleArn, Handler: 'index.handler', Layers: [v1.LayerVersionArn as string],
    Code: { ZipFile: zipOf({ 'index.js': 'exports.handler = async () => { try { return require("added"); } catch { return require("pkg39"); } };' }) },
  }));
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'app' });
  const call = async () => JSON.parse(Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: 'app' }))).Payload ?? []).toString()) as unknown;
  assert.equal(await call(), 39);

  // One package added: a new version of the layer, and the function switched to it.
  const v2 = await lambda.send(new PublishLayerVersionCommand({ LayerName: 'deps', Content: { ZipFile: deps(40, { 'nodejs/node_modules/added/index.js': 'module.exports = "added";' }) } }));
  const layers = join(fx.dataDir, 'lambda', 'layers', ACCOUNT, REGION, 'deps');
  const before = links(join(layers, '2'));
  await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'app', Layers: [v2.LayerVersionArn as string] }));
  await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10, minDelay: 1 }, { FunctionName: 'app' });
  assert.equal(await call(), 'added');
  const folder = join(fx.dataDir, 'lambda', ACCOUNT, REGION, 'app');
  assert.deepEqual(readdirSync(folder).filter((n) => n.startsWith('opt-')), [], 'no merged /opt for one layer');
  assert.deepEqual(links(join(layers, '2')), before, 'not one file of the new version got another link');
  assert.equal(before.size, 41);
  // Shared contents: the store, v1 and v2; the added package: the store and v2.
  assert.equal(before.get(join('nodejs', 'node_modules', 'pkg0', 'index.js')), 3);
  assert.equal(before.get(join('nodejs', 'node_modules', 'added', 'index.js')), 2);

  // The old version is deleted; the answer does not wait for its files, which go once the sweep
  // has run (stopping the cloud waits for it).
  await lambda.send(new DeleteLayerVersionCommand({ LayerName: 'deps', VersionNumber: 1 }));
  const store = join(fx.dataDir, 'lambda', '.files');
  await fx.cloud.stop();
  assert.ok(!existsSync(join(layers, '1')) && !existsSync(join(layers, '1.zip')) && !existsSync(join(layers, '1.files')), 'v1 is freed');
  const now = links(join(layers, '2'));
  assert.equal(now.get(join('nodejs', 'node_modules', 'pkg0', 'index.js')), 2, 'shared contents lost only v1\'s link');
  assert.equal(now.get(join('nodejs', 'node_modules', 'added', 'index.js')), 2);
  assert.equal(readdirSync(store).length, 42, 'v1\'s own content is freed: left are v2\'s 41 contents and the function\'s index.js');
  const { startCompute } = await import('./test-support.js');
  fx.cloud = await startCompute(fx.dataDir);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppFile } from './app.js';
import { parseProject } from './parse.js';
import { appGraph, findReferences, outputAt, substituteReferences } from './references.js';
import { fails } from './test-support.js';

test('parsing leaves ${output:} references in place for the engine, resolving the other variables around them', () => {
  const p = parseProject('component: http-function\nname: api\napp: shop\ninputs:\n  env:\n    TABLE: ${output:db.name}\n    URL: "${output:shop:prod:site.url}/x-${stage}"\n', { fileName: 'hangar.yml', env: {} });
  assert.deepEqual(p.inputs.env, { TABLE: '${output:db.name}', URL: '${output:shop:prod:site.url}/x-dev' });
});

test('findReferences: short and long forms with the input path; a malformed one names file and path', () => {
  const refs = findReferences({ env: { A: '${output:db.name}', B: ['x ${output:shop:prod:site.url} y'] } }, 'inputs', 'api/hangar.yml');
  assert.deepEqual(refs.map((r) => [r.path, r.app ?? null, r.stage ?? null, r.instance, r.key]), [
    ['inputs.env.A', null, null, 'db', 'name'],
    ['inputs.env.B[0]', 'shop', 'prod', 'site', 'url'],
  ]);
  fails(() => findReferences({ env: { T: '${output:db}' } }, 'inputs', 'api/hangar.yml'), 'PROJECT_REFERENCE_INVALID', /^api\/hangar\.yml: inputs\.env\.T: \$\{output:db\} is not an output reference/);
});

test('substituteReferences: a whole-string reference keeps the JSON type, an embedded one interpolates', () => {
  const outputs: Record<string, Record<string, unknown>> = { db: { name: 'orders', port: 5432, tags: { a: 1 } } };
  const out = substituteReferences({ n: '${output:db.name}', p: '${output:db.port}', t: '${output:db.tags}', s: 'host:${output:db.port}/${output:db.name}', deep: '${output:db.tags.a}' },
    (r) => outputAt(outputs[r.instance]!, r.key));
  assert.deepEqual(out, { n: 'orders', p: 5432, t: { a: 1 }, s: 'host:5432/orders', deep: 1 });
});

const inst = (name: string, inputs: unknown) => ({ name, file: `${name}/hangar.yml`, inputs });

test('appGraph: dependencies, order (dependencies first) and external references', () => {
  const g = appGraph([
    inst('site', { env: { API: '${output:api.url}' } }),
    inst('api', { env: { TABLE: '${output:db.name}', OTHER: '${output:billing:prod:api.url}', GONE: '${output:legacy.url}' } }),
    inst('db', {}),
  ], 'shop', 'dev');
  assert.deepEqual(g.dependsOn, { site: ['api'], api: ['db'], db: [] });
  assert.deepEqual(g.order, ['db', 'api', 'site']);
  assert.deepEqual(g.external.map((e) => `${e.from.name}->${e.app}:${e.stage}:${e.ref.instance}.${e.ref.key}`), ['api->billing:prod:api.url', 'api->shop:dev:legacy.url']);
});

test('appGraph: a cycle is refused naming every file and input path on it; so is a self-reference and a duplicate name', () => {
  fails(() => appGraph([inst('a', { x: '${output:b.url}' }), inst('b', { y: ['${output:c.url}'] }), inst('c', { z: '${output:a.url}' })], 'shop', 'dev'),
    'PROJECT_REFERENCE_CYCLE', /cycle \(a -> b -> c -> a\).*a\/hangar\.yml: inputs\.x \(\$\{output:b\.url\}\); b\/hangar\.yml: inputs\.y\[0\] \(\$\{output:c\.url\}\); c\/hangar\.yml: inputs\.z/);
  fails(() => appGraph([inst('a', { env: { ME: '${output:a.url}' } })], 'shop', 'dev'), 'PROJECT_REFERENCE_CYCLE', /^a\/hangar\.yml: inputs\.env\.ME: \$\{output:a\.url\} refers to the instance's own outputs/);
  fails(() => appGraph([inst('a', {}), { name: 'a', file: 'b/hangar.yml', inputs: {} }], 'shop', 'dev'), 'PROJECT_FILE_INVALID', /^b\/hangar\.yml: name: "a" is also the name of the instance in a\/hangar\.yml/);
  // Another stage's instance of the same name is not a self-reference.
  assert.equal(appGraph([inst('a', { x: '${output:shop:prod:a.url}' })], 'shop', 'dev').external.length, 1);
});

test('an app file: shared app/org/stage, an instances: map (name from the key), and its shape errors', () => {
  const a = parseAppFile('app: shop\nstage: ${env:S, \'qa\'}\ninstances:\n  db:\n    component: fake\n  api:\n    component: http-function\n    inputs:\n      src: ./api\n      env: { T: "${output:db.name}", S: "${stage}" }\n', { fileName: 'hangar.yml', env: {} });
  assert.equal(a.app, 'shop');
  assert.equal(a.stage, 'qa');
  assert.deepEqual(a.instances!.map((i) => [i.name, i.app, i.stage, i.component]), [['db', 'shop', 'qa', 'fake'], ['api', 'shop', 'qa', 'http-function']]);
  assert.deepEqual(a.instances![1]!.inputs.env, { T: '${output:db.name}', S: 'qa' });
  fails(() => parseAppFile('app: shop\ninstance:\n  db: {}\n', { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', /instance: unknown field in an app file/);
  fails(() => parseAppFile('app: shop\ninstances:\n  db:\n    component: fake\n    inputs: [1]\n', { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', /^hangar\.yml \(instances\.db\) is not valid:\ninputs: expected a mapping/);
  fails(() => parseAppFile('app: shop\ninstances:\n  1db: { component: fake }\n', { fileName: 'hangar.yml', env: {} }), 'PROJECT_FILE_INVALID', /instances\.1db: expected an instance name/);
});

test('an instance of an app takes the root file\'s app/org/stage and its folder name when it sets none', () => {
  const p = parseProject('component: fake\ninputs: { value: x }\n', { fileName: 'db/hangar.yml', env: {}, defaults: { app: 'shop', stage: 'qa', org: 'acme' }, defaultName: 'db' });
  assert.deepEqual([p.name, p.app, p.stage, p.org], ['db', 'shop', 'qa', 'acme']);
  const own = parseProject('component: fake\nname: store\nstage: prod\n', { fileName: 'db/hangar.yml', env: {}, defaults: { app: 'shop', stage: 'qa' }, defaultName: 'db' });
  assert.deepEqual([own.name, own.app, own.stage], ['store', 'shop', 'prod']);
});

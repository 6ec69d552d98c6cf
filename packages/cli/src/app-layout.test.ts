import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHangarError } from '@hangar/core';
import { loadProject, loadWorkspace } from './project-file.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hangar-app-layout-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function refuses(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHangarError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

test('an app root with a shared hangar.yml and a folder per instance (the Serverless Components layout)', () => {
  const root = tree({
    'hangar.yml': 'app: shop\norg: acme\nstage: ${env:STAGE, \'dev\'}\n',
    'api/hangar.yml': 'component: http-function\ninputs:\n  src: ./src\n  env:\n    TABLE: ${output:db.name}\n',
    'db/serverless.yml': 'component: fake\nname: db\ninputs: { value: x }\n',
    'node_modules/x/hangar.yml': 'component: fake\n',
    'notes/readme.md': 'not an instance',
  });
  try {
    const ws = loadWorkspace(root, { STAGE: 'qa' });
    assert.equal(ws.kind, 'app');
    if (ws.kind !== 'app') return;
    assert.deepEqual([ws.app, ws.stage, ws.org], ['shop', 'qa', 'acme']);
    assert.deepEqual(ws.instances.map((i) => [i.project.name, i.file, i.project.app, i.project.stage, i.dir === join(root, i.project.name)]), [
      ['api', 'api/hangar.yml', 'shop', 'qa', true], ['db', 'db/serverless.yml', 'shop', 'qa', true],
    ]);
    assert.deepEqual(ws.instances[0]!.project.inputs.env, { TABLE: '${output:db.name}' });
    const prod = loadWorkspace(root, { STAGE: 'qa' }, 'prod');
    assert.ok(prod.kind === 'app');
    assert.deepEqual([prod.stage, ...prod.instances.map((i) => i.project.stage)], ['prod', 'prod', 'prod'], '--stage wins');
    // Inside an instance's folder: that instance, with the root's app, org and stage.
    const one = loadWorkspace(join(root, 'api'), { STAGE: 'qa' });
    assert.equal(one.kind, 'instance');
    assert.deepEqual(one.kind === 'instance' && [one.project.name, one.project.app, one.project.stage, one.project.org, one.project.file], ['api', 'shop', 'qa', 'acme', 'api/hangar.yml']);
    // Commands that act on one instance say where to run them.
    refuses(() => loadProject(root, {}), 'PROJECT_FILE_INVALID', /is the root of app "shop" \(instances api, db\); this command works on one instance: run it in that instance's folder \(e\.g\. api\/\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a single hangar.yml with an instances: map; src stays relative to the root', () => {
  const root = tree({ 'hangar.yml': 'app: shop\ninstances:\n  db:\n    component: fake\n    inputs: { value: x }\n  api:\n    component: http-function\n    inputs: { src: ./api, env: { T: "${output:db.name}" } }\n' });
  try {
    const ws = loadWorkspace(root, {});
    assert.ok(ws.kind === 'app');
    assert.deepEqual(ws.instances.map((i) => [i.project.name, i.file, i.dir]), [['db', 'hangar.yml (instances.db)', root], ['api', 'hangar.yml (instances.api)', root]]);
    assert.equal(ws.stage, 'dev');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('app layout errors name the file: instances of different apps or stages, two of one name, an app root without instances', () => {
  const check = (files: Record<string, string>, re: RegExp) => {
    const root = tree(files);
    try {
      refuses(() => loadWorkspace(root, {}), 'PROJECT_FILE_INVALID', re);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  check({ 'a/hangar.yml': 'component: fake\n', 'b/hangar.yml': 'component: fake\n' }, /^b\/hangar\.yml: app: "b" differs from "a" \(a\/hangar\.yml\).*Set app: in the app root's hangar\.yml/);
  check({ 'hangar.yml': 'app: shop\n', 'a/hangar.yml': 'component: fake\nstage: prod\n', 'b/hangar.yml': 'component: fake\n' }, /^b\/hangar\.yml: stage: "dev" differs from "prod" \(a\/hangar\.yml\)/);
  check({ 'hangar.yml': 'app: shop\n', 'a/hangar.yml': 'component: fake\nname: x\n', 'b/hangar.yml': 'component: fake\nname: x\n' }, /^a\/hangar\.yml: name: "x" is also the name of the instance in b\/hangar\.yml/);
  check({ 'hangar.yml': 'app: shop\n' }, /it sets no component, so it is an app root, but it has no instances/);
  check({ 'hangar.yml': 'app: shop\ninputs: {}\n' }, /component: expected the component to deploy/);
  const empty = tree({ 'x.txt': '' });
  try {
    refuses(() => loadWorkspace(empty, {}), 'PROJECT_FILE_NOT_FOUND', /No hangar\.yml or serverless\.yml in/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

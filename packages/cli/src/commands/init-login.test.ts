import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProject } from '@hangar/core';
import { startFakeEngine } from '../testing/fake-engine.js';
import { tempProject, testContext } from '../testing/helpers.js';
import { init } from './init.js';
import { login } from './login.js';

test('init writes a hangar.yml that parses, refuses to overwrite it, and --force does', async (t) => {
  const p = tempProject(); // already holds a hangar.yml
  t.after(() => p.cleanup());
  const refused = testContext(p.dir, {});
  assert.equal(await init(refused, { name: 'My Shop' }), 1);
  assert.match(refused.stderr.text(), /already exists; edit it, or run `hangar init --force`/);
  assert.equal(await init(testContext(p.dir, {}), { name: 'My Shop', force: true }), 0);
  const project = parseProject(readFileSync(join(p.dir, 'hangar.yml'), 'utf8'), { fileName: 'hangar.yml', env: {} });
  assert.equal(project.component, 'http-function');
  assert.equal(project.name, 'my-shop');
  assert.deepEqual(project.inputs.env, { STAGE: 'dev' });
});

test('login asks for the URL and token when a terminal is there, and says which flags to pass when not', async (t) => {
  const engine = await startFakeEngine();
  const p = tempProject();
  t.after(async () => { p.cleanup(); await engine.close(); });
  const asked: string[] = [];
  const ctx = { ...testContext(p.dir, { HANGAR_HOME: p.home }), prompt: {
    text: async (m: string) => { asked.push(m); return engine.url; },
    secret: async (m: string) => { asked.push(m); return engine.token; },
  } };
  assert.equal(await login(ctx), 0, ctx.stderr.text());
  assert.deepEqual(asked, ['Engine URL', 'API token (shown once when it was created)']);
  const none = testContext(p.dir, { HANGAR_HOME: p.home });
  assert.equal(await login(none), 1);
  assert.match(none.stderr.text(), /hangar login --url <engine> --token <token>/);
});

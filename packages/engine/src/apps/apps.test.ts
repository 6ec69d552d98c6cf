import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import type { AppDeployment } from '@hangar/core/api';
import { createHarness, type Harness } from '../deployments/_harness.js';
import { fakeComponent } from '../deployments/_fake-component.js';
import { orgsMigration } from '../orgs/tables.js';
import { migrateToLatest } from '../store/migrate.js';
import { testDatabases } from '../store/test-store.js';
import type { RequestAuth } from '../types.js';
import { createAppsService, type AppsService } from './service.js';
import { appsMigrations } from './tables.js';

const auth: RequestAuth = { orgId: 'org_a', userId: 'usr_1', role: 'deployer', actor: { kind: 'token', id: 'tok_1', userId: 'usr_1', name: 'token:ci' } };

async function setup(kind: 'sqlite' | 'postgres', parallelism = 4): Promise<{ h: Harness; apps: AppsService; fake: ReturnType<typeof fakeComponent> }> {
  const fake = fakeComponent();
  const h = await createHarness({ kind, lookup: (n) => (n === 'fake' ? fake : undefined), componentNames: () => ['fake'], workers: 4, pollMs: 50 });
  await migrateToLatest(h.store.db, { '0001_platform_orgs_users': orgsMigration, ...h.feature.migrations, ...appsMigrations });
  const apps = createAppsService({
    db: h.store.db, clock: { now: () => new Date() }, logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; }, addSecret() {}, removeSecret() {} },
    deployments: h.feature.deployments, checkComponent: (n) => h.feature.checkComponent(n), checkInputs: (c, i) => h.feature.checkInputs(c, i), subscribe: (id, l) => h.feature.bus.subscribe(id, l), parallelism,
  });
  return { h, apps, fake };
}

const inst = (name: string, inputs: Record<string, unknown>) => ({ name, component: 'fake', file: `${name}/hangar.yml`, inputs });

/** Advance (as the poll would) until `done` holds; fails the test after 20 s rather than hanging. */
async function until(apps: AppsService, id: string, done: (a: AppDeployment) => boolean): Promise<AppDeployment> {
  for (let i = 0; i < 1000; i++) {
    await apps.advance(id);
    const a = await apps.get('org_a', id);
    if (done(a)) return a;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`app deployment ${id} never reached the expected state: ${JSON.stringify(await apps.get('org_a', id))}`);
}
const statusOf = (a: AppDeployment) => Object.fromEntries(a.instances.map((i) => [i.name, i.status]));
const finished = (a: AppDeployment) => a.status !== 'running';


for (const db of testDatabases()) describe(`app deployments (${db.kind})`, { skip: db.skip }, () => {
  test('an instance starts as soon as its own dependencies succeed, not when the slowest instance of the "wave" before it finishes', async () => {
    const { h, apps, fake } = await setup(db.kind);
    try {
      const slow = fake.gate('slow');
      const created = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [
        inst('slow', { value: 'slow', gate: 'slow' }),
        inst('db', { value: 'db' }),
        inst('api', { value: '${output:db.value}-api' }),
        inst('site', { value: 'site:${output:api.url}' }),
      ] });
      assert.deepEqual(created.instances.map((i) => [i.name, i.waitsFor]), [['slow', []], ['db', []], ['api', ['db']], ['site', ['api']]]);
      // db -> api -> site all finish while "slow" (same first wave as db) is still held at its gate.
      const mid = await until(apps, created.id, (a) => statusOf(a).site === 'succeeded');
      assert.equal(statusOf(mid).slow, 'running', 'the slow instance has not finished');
      assert.equal(slow.isEntered(), true);
      assert.equal(mid.status, 'running');
      slow.open();
      const end = await until(apps, created.id, finished);
      assert.equal(end.status, 'succeeded');
      assert.deepEqual(fake.calls.map((c) => c.value), ['db', 'db-api', 'site:https://example.test/db-api', 'slow']);
      // The app deployment keeps the references as written; the instance's deployment got them resolved.
      const site = end.instances.find((i) => i.name === 'site')!;
      assert.equal(site.inputs.value, 'site:${output:api.url}');
      assert.equal((await h.feature.deployments.get('org_a', site.deploymentId!)).inputs.value, 'site:https://example.test/db-api');
      assert.deepEqual(site.outputs, { url: 'https://example.test/site:https://example.test/db-api', value: 'site:https://example.test/db-api' });
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('a failure stops only its dependents (transitively), each naming the failed dependency; independent instances still deploy', async () => {
    const { h, apps } = await setup(db.kind);
    try {
      const created = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [
        inst('db', { value: 'db', fail: 'plain' }),
        inst('api', { value: '${output:db.value}' }),
        inst('site', { value: '${output:api.url}' }),
        inst('jobs', { value: 'jobs' }),
      ] });
      const end = await until(apps, created.id, finished);
      assert.equal(end.status, 'failed');
      assert.deepEqual(statusOf(end), { db: 'failed', api: 'skipped', site: 'skipped', jobs: 'succeeded' });
      const api = end.instances.find((i) => i.name === 'api')!;
      assert.equal(api.error?.code, 'APP_DEPENDENCY_FAILED');
      assert.match(api.error!.message, /api was not deployed: db \(db\/hangar\.yml\), which it references, failed/);
      assert.match(end.instances.find((i) => i.name === 'site')!.error!.message, /api \(api\/hangar\.yml\).*was skipped/);
      assert.equal(api.deploymentId, null, 'no deployment was queued for a skipped instance');
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('a key missing from a dependency\'s outputs fails that dependent with the file and input path', async () => {
    const { h, apps } = await setup(db.kind);
    try {
      const created = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('db', { value: 'db' }), inst('api', { value: '${output:db.nope}' })] });
      const end = await until(apps, created.id, finished);
      const api = end.instances.find((i) => i.name === 'api')!;
      assert.equal(api.status, 'failed');
      assert.equal(api.error?.code, 'PROJECT_REFERENCE_MISSING_KEY');
      assert.match(api.error!.message, /^api\/hangar\.yml: inputs\.value: \$\{output:db\.nope\}: instance shop\/dev\/db has no output "nope"; its outputs are url, value/);
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('unknown references, missing stored keys, cycles and unknown components are refused before anything is stored or deployed', async () => {
    const { h, apps, fake } = await setup(db.kind);
    try {
      const refuses = async (instances: ReturnType<typeof inst>[], code: string, re: RegExp) => {
        await assert.rejects(apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances }), (e: unknown) => {
          assert.ok(e instanceof HangarError);
          assert.equal(e.code, code);
          assert.match(e.message, re);
          return true;
        });
      };
      await refuses([inst('api', { value: 'x', env: { T: '${output:db.name}' } })], 'PROJECT_REFERENCE_UNKNOWN', /^api\/hangar\.yml: inputs\.env\.T: \$\{output:db\.name\} refers to instance shop\/dev\/db, which is not an instance of this app and has never been deployed/);
      await refuses([inst('api', { value: '${output:billing:prod:api.url}' })], 'PROJECT_REFERENCE_UNKNOWN', /instance billing\/prod\/api, which has never been deployed/);
      await refuses([inst('a', { value: '${output:b.url}' }), inst('b', { value: '${output:a.url}' })], 'PROJECT_REFERENCE_CYCLE', /a -> b -> a.*a\/hangar\.yml: inputs\.value/);
      await refuses([inst('a', { value: '${output:b}' })], 'PROJECT_REFERENCE_INVALID', /^a\/hangar\.yml: inputs\.value: \$\{output:b\} is not an output reference/);
      await refuses([{ ...inst('a', { value: 'a' }), component: 'nope' }], 'COMPONENT_NOT_FOUND', /nope/);
      // Inputs without references are final, so a mistake in them is refused up front too.
      await refuses([inst('a', { value: 'a' }), inst('b', { value: 'b', memory: 'big' })], 'COMPONENT_INPUTS_INVALID', /^b\/hangar\.yml: fake inputs are not valid:\n\s+inputs\.memory: /);
      assert.equal((await h.store.db.selectFrom('app_deployments').select('id').execute()).length, 0);
      assert.equal((await h.feature.deployments.list('org_a', { limit: 10 })).length, 0);
      assert.equal(fake.calls.length, 0);
      // A stored instance without the key: refused up front too.
      const first = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('db', { value: 'db' })] });
      await until(apps, first.id, finished);
      await refuses([inst('api', { value: '${output:db.name}' })], 'PROJECT_REFERENCE_MISSING_KEY', /^api\/hangar\.yml: inputs\.value: \$\{output:db\.name\}: instance shop\/dev\/db has no output "name"/);
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('one instance deployed on its own reads its references from stored outputs', async () => {
    const { h, apps, fake } = await setup(db.kind);
    try {
      const first = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('db', { value: 'db1' })] });
      await until(apps, first.id, finished);
      const only = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('api', { value: 'api-${output:db.value}' })] });
      const end = await until(apps, only.id, finished);
      assert.equal(end.status, 'succeeded');
      assert.deepEqual(end.instances.map((i) => i.name), ['api']);
      assert.equal(fake.calls.at(-1)!.value, 'api-db1');
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('remove at the root removes in reverse dependency order; an instance never deployed is skipped, not an error', async () => {
    const { h, apps, fake } = await setup(db.kind);
    try {
      const instances = [inst('site', { value: '${output:api.url}' }), inst('api', { value: '${output:db.value}' }), inst('db', { value: 'db' })];
      const dep = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances });
      assert.equal((await until(apps, dep.id, finished)).status, 'succeeded');
      const rm = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'remove', instances: [...instances, inst('extra', { value: 'x' })] });
      assert.deepEqual(rm.instances.map((i) => [i.name, i.waitsFor]), [['extra', []], ['site', []], ['api', ['site']], ['db', ['api']]]);
      const end = await until(apps, rm.id, finished);
      assert.equal(end.status, 'succeeded');
      assert.deepEqual(statusOf(end), { extra: 'skipped', site: 'succeeded', api: 'succeeded', db: 'succeeded' });
      const removes = fake.calls.filter((c) => c.action === 'remove');
      const ids = new Map<string, string>();
      for (const i of end.instances) if (i.deploymentId) ids.set((await h.feature.deployments.get('org_a', i.deploymentId)).instanceId, i.name);
      assert.deepEqual(removes.map((c) => ids.get(c.instanceId)), ['site', 'api', 'db']);
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('HANGAR_APP_PARALLELISM bounds how many instances of one app deployment are queued or running at once', async () => {
    const { h, apps, fake } = await setup(db.kind, 1);
    try {
      const gate = fake.gate('a');
      const created = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('a', { value: 'a', gate: 'a' }), inst('b', { value: 'b' })] });
      await gate.entered;
      await apps.advance(created.id);
      assert.deepEqual(statusOf(await apps.get('org_a', created.id)), { a: 'running', b: 'pending' });
      gate.open();
      assert.equal((await until(apps, created.id, finished)).status, 'succeeded');
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('an instance claimed by an engine that stopped before creating its deployment is failed as DEPLOY_INTERRUPTED after a minute, not left queued', async () => {
    const { h, apps, fake } = await setup(db.kind);
    try {
      const gate = fake.gate('held');
      // c waits for a, which the gate holds: so c cannot have been queued for real before the crash is staged.
      const created = await apps.create(auth, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('a', { value: 'a', gate: 'held' }), inst('b', { value: 'b' }), inst('c', { value: '${output:a.url}' })] });
      await gate.entered;
      await until(apps, created.id, (x) => statusOf(x).b === 'succeeded');
      // What a crash between the claim and the deployment's creation leaves behind.
      await h.store.db.updateTable('app_deployment_instances').set({ status: 'queued', deployment_id: null, started_at: new Date(Date.now() - 120_000).toISOString() })
        .where('app_deployment_id', '=', created.id).where('name', '=', 'c').execute();
      gate.open();
      const end = await until(apps, created.id, finished);
      assert.equal(end.status, 'failed');
      assert.equal(end.instances.find((i) => i.name === 'c')!.error?.code, 'DEPLOY_INTERRUPTED');
      assert.equal(statusOf(end).a, 'succeeded');
    } finally {
      await apps.close();
      await h.close();
    }
  });

  test('a CI token scoped to one app and stage may deploy it as an app, but reads no other app\'s or stage\'s outputs through a reference', async () => {
    const { h, apps } = await setup(db.kind);
    try {
      const first = await apps.create(auth, { app: 'billing', stage: 'prod', action: 'deploy', instances: [inst('api', { value: 'b' })] });
      await until(apps, first.id, finished);
      const ci: RequestAuth = { ...auth, scope: { app: 'shop', stage: 'dev' } };
      await assert.rejects(apps.create(ci, { app: 'billing', stage: 'prod', action: 'deploy', instances: [inst('x', { value: 'x' })] }), { code: 'CI_SCOPE_FORBIDDEN' });
      await assert.rejects(apps.create(ci, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('x', { value: '${output:billing:prod:api.url}' })] }), { code: 'CI_SCOPE_FORBIDDEN' });
      const ok = await apps.create(ci, { app: 'shop', stage: 'dev', action: 'deploy', instances: [inst('x', { value: 'x' })] });
      assert.equal((await until(apps, ok.id, finished)).status, 'succeeded');
    } finally {
      await apps.close();
      await h.close();
    }
  });
});

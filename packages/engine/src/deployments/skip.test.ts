import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testDatabases } from '../store/test-store.js';
import { createHarness, fakeBroker, type Harness } from './_harness.js';
import { fakeComponent } from './_fake-component.js';
import { parseSse } from './_sse.js';

for (const db of testDatabases()) {
  describe(`no-op deployments are skipped without a cloud call (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    const component = fakeComponent();
    const fb = fakeBroker();
    before(async () => { h = await createHarness({ kind: db.kind, lookup: (n) => (n === 'fake' ? component : undefined), broker: fb.broker, workers: 1 }); });
    after(async () => { await h?.close(); });

    const deploy = async (body: Record<string, unknown>) => {
      const res = await h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}/deployments`, headers: h.as(h.orgA), payload: { app: 'shop', stage: 'dev', name: 'noop', component: 'fake', ...body } });
      assert.equal(res.statusCode, 202, res.body);
      const id = (res.json() as { deploymentId: string }).deploymentId;
      const ev = await h.app.inject({ method: 'GET', url: `/api/v1/orgs/${h.orgA}/deployments/${id}/events`, headers: h.as(h.orgA, 'viewer') });
      const stream = parseSse(ev.body);
      return { id, done: stream.at(-1)!.data, logs: stream.filter((e) => e.event === 'log').map((e) => e.data.message as string) };
    };
    const finished = (id: string) => h.audit.filter((e) => e.subject === `deployment:${id}` && e.kind === 'deployment.finished');

    test('the same deploy twice: the second is `skipped`, assumes no role and keeps the outputs; a change or --refresh deploys', async () => {
      const first = await deploy({ inputs: { value: 'one' } });
      assert.equal(first.done.status, 'succeeded');
      const opened = fb.opened.length;

      const again = await deploy({ inputs: { value: 'one' } });
      assert.equal(again.done.status, 'skipped');
      assert.equal(fb.opened.length, opened, 'no credential session was opened');
      assert.deepEqual(again.done.outputs, first.done.outputs);
      assert.ok(again.logs.some((l) => /No changes since deployment .*--refresh/.test(l)), again.logs.join('\n'));
      assert.equal(finished(again.id)[0]?.data?.status, 'skipped');
      const view = await h.app.inject({ method: 'GET', url: `/api/v1/orgs/${h.orgA}/deployments/${again.id}`, headers: h.as(h.orgA, 'viewer') });
      assert.equal(view.json().status, 'skipped');

      // a skipped one counts as the last success: still skipped
      assert.equal((await deploy({ inputs: { value: 'one' } })).done.status, 'skipped');
      // --refresh deploys (the component checks the cloud for drift)
      const refreshed = await deploy({ inputs: { value: 'one' }, refresh: true });
      assert.equal(refreshed.done.status, 'succeeded');
      assert.equal(fb.opened.length, opened + 1);
      assert.equal(component.calls.at(-1)?.refresh, true, 'the component is told it runs for --refresh');
      // changed inputs deploy
      assert.equal((await deploy({ inputs: { value: 'two' } })).done.status, 'succeeded');
      assert.equal(fb.opened.length, opened + 2);
      assert.equal(component.calls.at(-1)?.refresh, undefined);
      // after a failure the same inputs deploy again (the last deployment did not succeed)
      assert.equal((await deploy({ inputs: { value: 'two', fail: 'plain' } })).done.status, 'failed');
      assert.equal((await deploy({ inputs: { value: 'two' } })).done.status, 'succeeded');
    });
  });
}

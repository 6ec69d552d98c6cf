// What POST /sources and POST /deployments refuse about the component before anything is stored,
// queued or sent to a cloud: an unknown component (with the list and the nearest name) and an
// http-function whose handler file is not in the uploaded source.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { manifestId } from '@hangar/core';
import { getComponent } from '@hangar/components';
import { testDatabases } from '../store/test-store.js';
import { createHarness, fakeBroker, type Harness } from './_harness.js';
import { fakeComponent } from './_fake-component.js';
import type { RunnableComponent } from './components.js';

const file = (path: string, content: string) => ({ path, sha256: createHash('sha256').update(content).digest('hex'), size: Buffer.byteLength(content), mode: 0o644, content });

for (const db of testDatabases()) {
  describe(`component checks before deploying (${db.kind})`, { skip: db.skip }, () => {
    let h: Harness;
    const fb = fakeBroker();
    const fake = fakeComponent();
    const http = getComponent('http-function') as RunnableComponent;
    before(async () => {
      h = await createHarness({
        kind: db.kind, broker: fb.broker,
        lookup: (n) => (n === 'fake' ? fake : n === 'http-function' ? http : undefined),
        componentNames: () => ['fake', 'http-function'],
      });
    });
    after(async () => { await h?.close(); });

    const post = (path: string, payload: Record<string, unknown>) =>
      h.app.inject({ method: 'POST', url: `/api/v1/orgs/${h.orgA}${path}`, headers: h.as(h.orgA), payload });
    const byName = (name: string) => h.app.inject({ method: 'GET', url: `/api/v1/orgs/${h.orgA}/instances/by-name/shop/dev/${name}`, headers: h.as(h.orgA, 'viewer') });

    test('POST /deployments: an unknown component is refused with the nearest name and the list', async () => {
      const res = await post('/deployments', { app: 'shop', stage: 'dev', name: 'typo', component: 'http-functon', inputs: {} });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.code, 'COMPONENT_NOT_FOUND');
      assert.equal(body.message, 'There is no component "http-functon". Did you mean "http-function"? Available: fake, http-function.');
      const far = (await post('/deployments', { app: 'shop', stage: 'dev', name: 'typo', component: 'postgres-cluster', inputs: {} })).json();
      assert.equal(far.message, 'There is no component "postgres-cluster". Available: fake, http-function.');
      assert.equal((await byName('typo')).statusCode, 404);
    });

    test('POST /sources naming an unknown component is refused before the manifest is stored', async () => {
      const f = file('index.js', 'exports.handler = async () => ({ statusCode: 200 });');
      const entry = { path: f.path, sha256: f.sha256, size: f.size, mode: f.mode };
      const refused = await post('/sources', { kind: 'full', entries: [entry], component: 'http-functon' });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json().code, 'COMPONENT_NOT_FOUND');
      assert.match(refused.json().message, /Did you mean "http-function"\?/);
      // nothing stored: a deployment naming that manifest does not find it
      const later = await post('/deployments', { app: 'shop', stage: 'dev', name: 'nosrc', component: 'fake', inputs: { value: 'v' }, manifestId: manifestId([entry]) });
      assert.equal(later.json().code, 'SOURCE_MANIFEST_UNKNOWN');
      const accepted = await post('/sources', { kind: 'full', entries: [entry], component: 'http-function' });
      assert.equal(accepted.statusCode, 200, accepted.body);
      assert.equal(accepted.json().manifestId, manifestId([entry]));
      assert.deepEqual(accepted.json().missing, [f.sha256]);
    });

    test('POST /deployments: an http-function whose handler file is not in the source is refused before anything is queued', async () => {
      const f = file('lib/app.js', 'exports.handler = async () => ({ statusCode: 200 });');
      const entry = { path: f.path, sha256: f.sha256, size: f.size, mode: f.mode };
      await h.feature.source.upload(h.orgA, { kind: 'full', entries: [entry] });
      await h.feature.source.putBlob(h.orgA, f.sha256, new TextEncoder().encode(f.content));
      const opened = fb.opened.length;
      const res = await post('/deployments', { app: 'shop', stage: 'dev', name: 'nohandler', component: 'http-function', inputs: {}, manifestId: manifestId([entry]) });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.code, 'COMPONENT_HANDLER_NOT_FOUND');
      assert.match(body.message, /the handler "index\.handler" needs the file index\.js, index\.mjs, index\.cjs in inputs\.src/);
      assert.match(body.message, /set handler to <file>\.<export>/);
      const named = (await post('/deployments', { app: 'shop', stage: 'dev', name: 'nohandler', component: 'http-function', inputs: { handler: 'lib/server.handler' }, manifestId: manifestId([entry]) })).json();
      assert.equal(named.code, 'COMPONENT_HANDLER_NOT_FOUND');
      assert.match(named.message, /lib\/server\.js, lib\/server\.mjs, lib\/server\.cjs/);
      // nothing created, no credentials asked for
      assert.equal((await byName('nohandler')).statusCode, 404);
      assert.equal(fb.opened.length, opened);
      const rows = await h.store.db.selectFrom('deployments').select('id').where('component', '=', 'http-function').execute();
      assert.equal(rows.length, 0);
    });
  });
}

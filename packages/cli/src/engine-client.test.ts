import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { listDeployments, whoami } from '@hangar/core/api';
import { createEngineClient, fillPath } from './engine-client.js';
import { startFakeEngine } from './testing/fake-engine.js';

test('fillPath fills the contract\'s path template, encodes each parameter and appends the set query values', () => {
  assert.equal(fillPath('/api/v1/orgs/:orgId/instances/by-name/:app/:stage/:name', { orgId: 'org_1', app: 'a b', stage: 'dev/x', name: 'n' }),
    '/api/v1/orgs/org_1/instances/by-name/a%20b/dev%2Fx/n');
  assert.equal(fillPath('/api/v1/orgs/:orgId/deployments', { orgId: 'o' }, { instanceId: undefined, limit: 5 }), '/api/v1/orgs/o/deployments?limit=5');
  assert.throws(() => fillPath('/api/v1/orgs/:orgId/tokens', {}), /path parameter orgId missing/);
});

test('client.call sends the route\'s method to the filled path and returns the reply', async () => {
  const engine = await startFakeEngine();
  try {
    const client = createEngineClient({ url: engine.url, token: engine.token });
    const who = await client.call<typeof whoami>('GET', '/api/v1/whoami', {});
    assert.equal(who.orgs[0]?.id, engine.orgId);
    await assert.rejects(client.call<typeof listDeployments>('GET', '/api/v1/orgs/:orgId/deployments', { params: { orgId: engine.orgId }, query: { limit: 3 } }), /NOT_FOUND|no route/);
    const last = engine.requests.at(-1)!;
    assert.equal(`${last.method} ${last.url}`, `GET /api/v1/orgs/${engine.orgId}/deployments?limit=3`);
  } finally {
    await engine.close();
  }
});

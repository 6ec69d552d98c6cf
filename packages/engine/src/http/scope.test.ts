import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHangarError } from '@hangar/core';
import type { CredentialScope, Db } from '../types.js';
import { checkScopedRoute } from './scope.js';

// The source routes look nothing up: a store that throws if touched shows it.
const untouched = new Proxy({}, { get() { throw new Error('the store was used'); } }) as Db;
const scope: CredentialScope = { app: 'shop', stage: 'prod' };

test('a CI token may upload source by either blob route (the CLI batches, and PUTs on older engines), and nothing unlisted', async () => {
  for (const [method, route] of [['POST', '/api/v1/orgs/:orgId/sources'], ['PUT', '/api/v1/orgs/:orgId/blobs/:sha256'], ['POST', '/api/v1/orgs/:orgId/blobs']] as const) {
    await checkScopedRoute(untouched, scope, 'org_1', method, route, { orgId: 'org_1' });
  }
  await assert.rejects(checkScopedRoute(untouched, scope, 'org_1', 'GET', '/api/v1/orgs/:orgId/blobs', { orgId: 'org_1' }), (e: unknown) => isHangarError(e) && e.code === 'CI_SCOPE_FORBIDDEN');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine } from '../testing.js';
import { startCloudFixture } from './internal/cloud-fixture.js';

test('creating a web-identity provider is refused on real AWS when the issuer is http or loopback, and nothing is stored', async () => {
  // No aws.endpoint: the engine talks to real AWS, which could never fetch http://127.0.0.1:7300/.well-known/….
  const engine = await createTestEngine();
  try {
    const url = `/api/v1/orgs/${engine.seed!.org.id}/providers`;
    const res = await engine.app.inject({ method: 'POST', url, headers: engine.auth(engine.seed!.token), payload: { name: 'wi', mode: 'web-identity', accountId: '123456789012' } });
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json<{ code: string; message: string }>();
    assert.equal(body.code, 'PROVIDER_ISSUER_NOT_PUBLIC');
    assert.match(body.message, /HANGAR_PUBLIC_URL/);
    assert.match(body.message, /https/);
    const list = await engine.app.inject({ url, headers: engine.auth(engine.seed!.token) });
    assert.deepEqual(list.json<{ providers: unknown[] }>().providers, []);
  } finally {
    await engine.close();
  }
});

test('with an AWS-compatible endpoint the same issuer is accepted, with a warning in the reply and the log', async () => {
  const fx = await startCloudFixture();
  const engine = await createTestEngine({ clock: fx.clock, config: { aws: { region: 'us-east-1', endpoint: fx.endpoint, credentials: fx.engineCredentials } } });
  try {
    const url = `/api/v1/orgs/${engine.seed!.org.id}/providers`;
    const res = await engine.app.inject({ method: 'POST', url, headers: engine.auth(engine.seed!.token), payload: { name: 'wi', mode: 'web-identity', accountId: '222222222222' } });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json<{ mode: string; warnings?: string[] }>();
    assert.equal(body.mode, 'web-identity');
    assert.equal(body.warnings?.length, 1);
    assert.match(body.warnings![0]!, /real AWS would refuse/);
    assert.ok(engine.logs.some((l) => l.includes('web-identity provider with an issuer real AWS cannot reach')));
    const plain = await engine.app.inject({ method: 'POST', url, headers: engine.auth(engine.seed!.token), payload: { name: 'ar', accountId: '222222222222' } });
    assert.equal(plain.statusCode, 201, plain.body);
    assert.equal(plain.json<{ warnings?: string[] }>().warnings, undefined, 'assume-role providers do not depend on the issuer');
  } finally {
    await engine.close();
    await fx.stop();
  }
});

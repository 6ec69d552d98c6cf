import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestEngine } from '../testing.js';

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

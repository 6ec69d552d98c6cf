import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRouteKey, selectRoute } from './routing.js';

const routes = [
  { routeKey: '$default' },
  { routeKey: 'ANY /{proxy+}' },
  { routeKey: 'GET /pets/{id}' },
  { routeKey: 'GET /pets/dog' },
  { routeKey: 'POST /pets' },
  { routeKey: 'GET /' },
];

const pick = (method: string, path: string) => selectRoute(routes, method, path);

test('the most specific route wins, then ANY, then $default', () => {
  assert.equal(pick('GET', '/pets/dog')?.route.routeKey, 'GET /pets/dog');
  assert.deepEqual(pick('GET', '/pets/cat'), { route: { routeKey: 'GET /pets/{id}' }, pathParameters: { id: 'cat' } });
  assert.equal(pick('POST', '/pets')?.route.routeKey, 'POST /pets');
  assert.deepEqual(pick('DELETE', '/pets/a%20b/c'), { route: { routeKey: 'ANY /{proxy+}' }, pathParameters: { proxy: 'pets/a b/c' } });
  assert.equal(pick('GET', '/')?.route.routeKey, 'GET /');
  assert.equal(pick('POST', '/')?.route.routeKey, '$default');
});

test('no $default route means unmatched requests find nothing', () => {
  assert.equal(selectRoute([{ routeKey: 'GET /a' }], 'GET', '/b'), undefined);
  assert.equal(selectRoute([{ routeKey: 'GET /a' }], 'POST', '/a'), undefined);
});

test('route keys are validated', () => {
  assert.equal(parseRouteKey('$default'), undefined);
  assert.deepEqual(parseRouteKey('GET /a/{b}'), { method: 'GET', segments: ['a', '{b}'] });
  assert.ok('error' in (parseRouteKey('FETCH /a') as object));
  assert.ok('error' in (parseRouteKey('GET /{proxy+}/x') as object));
  assert.ok('error' in (parseRouteKey('GET a') as object));
});

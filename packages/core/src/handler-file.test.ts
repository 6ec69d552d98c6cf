import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHandlerFile, handlerFileCandidates, isHangarError } from './index.js';

test('the files a handler can live in, as Lambda\'s Node.js runtime looks for them', () => {
  assert.deepEqual(handlerFileCandidates('index.handler'), ['index.js', 'index.mjs', 'index.cjs']);
  assert.deepEqual(handlerFileCandidates('src/app.handler'), ['src/app.js', 'src/app.mjs', 'src/app.cjs']);
  assert.deepEqual(handlerFileCandidates('src/app.v2.main'), ['src/app.v2.js', 'src/app.v2.mjs', 'src/app.v2.cjs']);
});

test('a handler whose file is in the source passes, whichever extension it has', () => {
  checkHandlerFile('index.handler', ['package.json', 'index.js']);
  checkHandlerFile('index.handler', ['index.mjs']);
  checkHandlerFile('src/app.handler', ['src/app.cjs', 'README.md']);
});

test('a missing handler file is COMPONENT_HANDLER_NOT_FOUND naming the handler, the files looked for and the fix', () => {
  assert.throws(() => checkHandlerFile('src/app.handler', ['app.js', 'src/app.ts', 'src/other.js']), (e: unknown) => {
    assert.ok(isHangarError(e));
    assert.equal(e.code, 'COMPONENT_HANDLER_NOT_FOUND');
    assert.equal(e.status, 400);
    assert.match(e.message, /^inputs\.handler: the handler "src\/app\.handler" needs the file src\/app\.js, src\/app\.mjs, src\/app\.cjs in inputs\.src/);
    assert.match(e.message, /Add src\/app\.js/);
    assert.deepEqual(e.details, { handler: 'src/app.handler', lookedFor: ['src/app.js', 'src/app.mjs', 'src/app.cjs'] });
    return true;
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEnvironment, checkMemory, checkTimeout, parseFunctionRef } from './validate.js';

test('function references: names, partial and full ARNs, qualifiers', () => {
  assert.deepEqual(parseFunctionRef('f', '111111111111', 'us-east-1'), { accountId: '111111111111', region: 'us-east-1', name: 'f' });
  assert.deepEqual(parseFunctionRef('arn:aws:lambda:eu-west-1:222222222222:function:g:$LATEST', '111111111111', 'us-east-1'),
    { accountId: '222222222222', region: 'eu-west-1', name: 'g', qualifier: '$LATEST' });
  assert.deepEqual(parseFunctionRef('333333333333:function:h', '111111111111', 'us-east-1'),
    { accountId: '333333333333', region: 'us-east-1', name: 'h' });
  assert.throws(() => parseFunctionRef('bad name!', '1', 'r'), { name: 'ValidationException' });
});

test('limits use Lambda validation errors', () => {
  assert.throws(() => checkTimeout(0), { name: 'ValidationException' });
  assert.throws(() => checkTimeout(901), { name: 'ValidationException' });
  assert.equal(checkTimeout(900), 900);
  assert.throws(() => checkMemory(64), /greater than or equal to 128/);
  assert.throws(() => checkEnvironment({ Variables: { AWS_REGION: 'x' } }), { name: 'InvalidParameterValueException', message: /AWS_REGION/ });
  assert.throws(() => checkEnvironment({ Variables: { BIG: 'x'.repeat(5000) } }), /4KB/);
  assert.deepEqual(checkEnvironment({ Variables: { GREETING: 'hi' } }), { GREETING: 'hi' });
});

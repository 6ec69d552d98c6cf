import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '@hangar/core';
import { awsError } from '../internal/fake-aws.js';
import { awsCall, isAwsError, toComponentError } from './aws-errors.js';

test('AWS errors are recognised by name, never by their message', () => {
  assert.ok(isAwsError(awsError('ResourceNotFoundException', 'whatever'), 'ResourceNotFoundException'));
  assert.ok(!isAwsError(awsError('ResourceConflictException', 'ResourceNotFoundException'), 'ResourceNotFoundException'));
  assert.ok(!isAwsError(new Error('ResourceNotFoundException'), 'ResourceNotFoundException'), 'a plain Error is not an AWS error');
});

test('a translated error keeps the AWS code and request id, and HangarErrors pass through', async () => {
  const e = toComponentError(awsError('ThrottlingException', 'Rate exceeded'), 'lambda:CreateFunction', 'fn1') as HangarError;
  assert.equal(e.code, 'COMPONENT_AWS_ERROR');
  assert.deepEqual({ awsCode: e.details?.awsCode, requestId: e.details?.requestId }, { awsCode: 'ThrottlingException', requestId: 'req-ThrottlingException' });
  assert.match(e.message, /lambda:CreateFunction on fn1 failed \(AWS ThrottlingException, request id req-ThrottlingException\): Rate exceeded/);
  const own = new HangarError('COMPONENT_SOURCE_MISSING', 'x');
  await assert.rejects(awsCall('a', 'b', () => Promise.reject(own)), (x) => x === own);
  const net = toComponentError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'iam:GetRole', 'r') as HangarError;
  assert.equal(net.code, 'COMPONENT_AWS_ERROR');
  assert.match(net.message, /failed before AWS answered: connect ECONNREFUSED/);
});

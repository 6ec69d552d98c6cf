import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpFunction } from '../http-function/component.js';
import { compilePermissions, dynamodbReadActions, dynamodbWriteActions } from './function-permissions.js';
import { validateInputs } from './validate.js';

const table = 'arn:aws:dynamodb:us-east-1:123456789012:table/hangar-todo-dev-todos-1a2b3c4d';
const bucket = 'arn:aws:s3:::hangar-todo-dev-site-1a2b3c4d';

test('a table: item actions on the table, reads on its indexes too; nothing else', () => {
  assert.deepEqual(compilePermissions([{ ref: table, access: 'readwrite' }])!.Statement, [
    { Effect: 'Allow', Action: [...dynamodbReadActions], Resource: [table, `${table}/index/*`] },
    { Effect: 'Allow', Action: [...dynamodbWriteActions], Resource: [table] },
  ]);
  assert.deepEqual(compilePermissions([{ ref: table, access: 'write' }])!.Statement, [{ Effect: 'Allow', Action: [...dynamodbWriteActions], Resource: [table] }]);
  const all = compilePermissions([{ ref: table, access: 'readwrite' }])!.Statement.flatMap((s) => s.Action);
  for (const a of ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:CreateTable', 'dynamodb:*']) assert.ok(!all.includes(a), a);
});

test('a bucket: object actions on <bucket>/*, ListBucket on the bucket for read', () => {
  assert.deepEqual(compilePermissions([{ ref: bucket, access: 'read' }])!.Statement, [
    { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
    { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket}/*`] },
  ]);
  assert.deepEqual(compilePermissions([{ ref: bucket, access: 'write' }])!.Statement, [
    { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:PutObject'], Resource: [`${bucket}/*`] },
  ]);
  assert.equal(compilePermissions([]), undefined);
});

test('inputs: raw statements pass through; unknown access and unsupported ARNs are refused naming the entry', () => {
  const c = createHttpFunction();
  const inputs = validateInputs(c, { permissions: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:123456789012:jobs' }] });
  assert.deepEqual(compilePermissions(inputs.permissions)!.Statement, [{ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ['arn:aws:sqs:us-east-1:123456789012:jobs'] }]);
  assert.throws(() => validateInputs(c, { permissions: [{ ref: table, access: 'readwrite' }, { ref: table, access: 'admin' }] }),
    (e: { code: string; message: string }) => e.code === 'COMPONENT_INPUTS_INVALID' && /permissions\.1:/.test(e.message) && /read, write or readwrite \(access is "admin"\)/.test(e.message));
  assert.throws(() => validateInputs(c, { permissions: [{ ref: 'arn:aws:sqs:us-east-1:123456789012:jobs', access: 'read' }] }),
    (e: { code: string; message: string }) => e.code === 'COMPONENT_INPUTS_INVALID' && /permissions\.0/.test(e.message) && /DynamoDB table .* or an S3 bucket/.test(e.message) && /arn:aws:sqs/.test(e.message));
  assert.throws(() => validateInputs(c, { permissions: [{ ref: '${output:todos.arn}', access: 'read' }] }), { code: 'COMPONENT_INPUTS_INVALID' });
  assert.throws(() => validateInputs(c, { permissions: [{ Effect: 'Allow', Action: 'not an action', Resource: '*' }] }), { code: 'COMPONENT_INPUTS_INVALID' });
});

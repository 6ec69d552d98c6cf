/**
 * A function reads and writes a table through the unmodified SDK v3 DynamoDB clients bundled with
 * the runtime (the Document client included), with its execution role's credentials and the
 * endpoint the sandbox is given. A second function, whose role may only `dynamodb:GetItem` on one
 * table, is refused everything else with AccessDeniedException.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, InvokeCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { fixture, zipOf, type Fixture, closeFixture } from '../lambda/test-support.js';
import { createActiveTable, ddb, doc, simpleTable } from './test-support.js';

const HANDLER = `
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const lib = require('@aws-sdk/lib-dynamodb');
const d = lib.DynamoDBDocumentClient.from(new DynamoDBClient({}));
const ops = {
  get: (t) => new lib.GetCommand({ TableName: t, Key: { pk: 'in', sk: '1' } }),
  put: (t) => new lib.PutCommand({ TableName: t, Item: { pk: 'out', sk: '1', text: 'written' } }),
  update: (t) => new lib.UpdateCommand({ TableName: t, Key: { pk: 'in', sk: '1' }, UpdateExpression: 'ADD seen :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'ALL_NEW' }),
  delete: (t) => new lib.DeleteCommand({ TableName: t, Key: { pk: 'in', sk: '1' } }),
  query: (t) => new lib.QueryCommand({ TableName: t, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'in' } }),
  scan: (t) => new lib.ScanCommand({ TableName: t }),
  batchGet: (t) => new lib.BatchGetCommand({ RequestItems: { [t]: { Keys: [{ pk: 'in', sk: '1' }] } } }),
  transactWrite: (t) => new lib.TransactWriteCommand({ TransactItems: [{ Put: { TableName: t, Item: { pk: 'tx', sk: '1' } } }] }),
};
exports.handler = async (event) => {
  const out = {};
  for (const [name, table] of event.steps) {
    try {
      const r = await d.send(ops[name](table));
      out[name + ':' + table] = { ok: true, item: r.Item || r.Attributes || null };
    } catch (e) {
      out[name + ':' + table] = { ok: false, error: e.name, status: e.$metadata && e.$metadata.httpStatusCode, message: e.message };
    }
  }
  return out;
};
`;

type Outcome = { ok: boolean; item?: Record<string, unknown> | null; error?: string; status?: number; message?: string };

describe('DynamoDB from a Lambda function with its execution role', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
    await fx.c.iam.send(new PutRolePolicyCommand({
      RoleName: 'fn-role', PolicyName: 'table',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: 'arn:aws:dynamodb:us-east-1:111111111111:table/fn-table' }],
      }),
    }));
    const narrow = await fx.c.iam.send(new CreateRoleCommand({
      RoleName: 'narrow-role',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }));
    await fx.c.iam.send(new PutRolePolicyCommand({
      RoleName: 'narrow-role', PolicyName: 'get-only',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:us-east-1:111111111111:table/fn-table' }] }),
    }));
    const client = ddb(fx.cloud.endpoint, fx.root);
    await createActiveTable(client, simpleTable('fn-table'));
    await createActiveTable(client, simpleTable('other-table'));
    await doc(client).send(new PutCommand({ TableName: 'fn-table', Item: { pk: 'in', sk: '1', text: 'hello' } }));
    await doc(client).send(new PutCommand({ TableName: 'other-table', Item: { pk: 'in', sk: '1', text: 'not yours' } }));
    client.destroy();
    for (const [name, role] of [['ddb-fn', fx.roleArn], ['ddb-narrow', narrow.Role?.Arn as string]] as const) {
      await fx.c.lambda.send(new CreateFunctionCommand({
        FunctionName: name, Runtime: 'nodejs20.x', Role: role, Handler: 'index.handler', Code: { ZipFile: zipOf({ 'index.js': HANDLER }) }, Timeout: 30,
      }));
      await waitUntilFunctionActiveV2({ client: fx.c.lambda, maxWaitTime: 20, minDelay: 1 }, { FunctionName: name });
    }
  });
  after(async () => {
    await closeFixture(fx);
  });

  const run = async (fn: string, steps: [string, string][]): Promise<Record<string, Outcome>> => {
    const out = await fx.c.lambda.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ steps })) }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    return JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as Record<string, Outcome>;
  };

  it('reads and writes its table with the execution role', { timeout: 90_000 }, async () => {
    const r = await run('ddb-fn', [['get', 'fn-table'], ['put', 'fn-table'], ['update', 'fn-table']]);
    assert.deepEqual(r['get:fn-table'], { ok: true, item: { pk: 'in', sk: '1', text: 'hello' } });
    assert.equal(r['put:fn-table']?.ok, true);
    assert.deepEqual(r['update:fn-table'], { ok: true, item: { pk: 'in', sk: '1', text: 'hello', seen: 1 } });
    const client = ddb(fx.cloud.endpoint, fx.root);
    const written = await doc(client).send(new GetCommand({ TableName: 'fn-table', Key: { pk: 'out', sk: '1' } }));
    client.destroy();
    assert.equal(written.Item?.text, 'written');
    const other = await run('ddb-fn', [['get', 'other-table']]);
    assert.equal(other['get:other-table']?.error, 'AccessDeniedException');
  });

  it('a role allowed only dynamodb:GetItem on one table is refused everything else', { timeout: 90_000 }, async () => {
    const steps: [string, string][] = [
      ['get', 'fn-table'], ['get', 'other-table'], ['put', 'fn-table'], ['update', 'fn-table'], ['delete', 'fn-table'],
      ['query', 'fn-table'], ['scan', 'fn-table'], ['batchGet', 'fn-table'], ['transactWrite', 'fn-table'],
    ];
    const r = await run('ddb-narrow', steps);
    assert.equal(r['get:fn-table']?.ok, true, JSON.stringify(r['get:fn-table']));
    for (const [op, table] of steps.slice(1)) {
      const o = r[`${op}:${table}`];
      assert.equal(o?.ok, false, `${op} on ${table} should be refused`);
      assert.equal(o?.error, 'AccessDeniedException', `${op}: ${JSON.stringify(o)}`);
      assert.equal(o?.status, 400);
    }
    const put = r['put:fn-table'];
    assert.match(put?.message ?? '', /^User: arn:aws:sts::111111111111:assumed-role\/narrow-role\/ddb-narrow is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:111111111111:table\/fn-table/);
  });
});

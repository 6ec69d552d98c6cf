/**
 * DynamoDB items through the unmodified SDK and the Document client: put, get, delete, update,
 * return values, conditions, the 400 KB limit, 38-digit numbers, sets, and AWS's error shapes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../index.js';
import { rejectsWith, type Creds } from '../test-support.js';
import { createActiveTable, ddb, simpleTable, startDynamoClients } from './test-support.js';

describe('DynamoDB items', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: DynamoDBClient;
  let d: DynamoDBDocumentClient;
  before(async () => {
    ({ cloud, root, c, d } = await startDynamoClients());
    await createActiveTable(c, simpleTable('items'));
    await createActiveTable(c, {
      TableName: 'numbers', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }], BillingMode: 'PAY_PER_REQUEST',
    });
  });
  after(async () => {
    c.destroy();
    await cloud.stop();
  });

  it('puts, gets (consistent read accepted) and deletes through the Document client', async () => {
    await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'u#1', sk: 'profile', name: 'Ada', age: 36, tags: new Set(['a', 'b']), address: { city: 'London' }, parts: [1, 'two'] } }));
    const got = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u#1', sk: 'profile' }, ConsistentRead: true }));
    assert.equal(got.Item?.name, 'Ada');
    assert.equal(got.Item?.age, 36);
    assert.deepEqual(got.Item?.tags, new Set(['a', 'b']));
    assert.deepEqual(got.Item?.address, { city: 'London' });
    const proj = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u#1', sk: 'profile' }, ProjectionExpression: '#n, address.city, parts[1]', ExpressionAttributeNames: { '#n': 'name' } }));
    assert.deepEqual(proj.Item, { name: 'Ada', address: { city: 'London' }, parts: ['two'] });
    const cap = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u#1', sk: 'profile' }, ReturnConsumedCapacity: 'TOTAL' }));
    assert.deepEqual(cap.ConsumedCapacity, { TableName: 'items', CapacityUnits: 0.5, ReadCapacityUnits: 0.5 });
    const del = await d.send(new DeleteCommand({ TableName: 'items', Key: { pk: 'u#1', sk: 'profile' }, ReturnValues: 'ALL_OLD' }));
    assert.equal(del.Attributes?.name, 'Ada');
    assert.equal((await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'u#1', sk: 'profile' } }))).Item, undefined);
  });

  it('returns ALL_OLD on put and the UpdateItem return values', async () => {
    await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'rv', sk: '1', a: 1, b: 'x' } }));
    const put = await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'rv', sk: '1', a: 2, b: 'x' }, ReturnValues: 'ALL_OLD' }));
    assert.deepEqual(put.Attributes, { pk: 'rv', sk: '1', a: 1, b: 'x' });
    const un = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'SET a = a + :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }));
    assert.deepEqual(un.Attributes, { a: 3 });
    const uo = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'SET a = :v', ExpressionAttributeValues: { ':v': 10 }, ReturnValues: 'UPDATED_OLD' }));
    assert.deepEqual(uo.Attributes, { a: 3 });
    await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'SET m = :m', ExpressionAttributeValues: { ':m': { x: 1, y: 2 } } }));
    const nested = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'SET m.x = :v', ExpressionAttributeValues: { ':v': 5 }, ReturnValues: 'UPDATED_NEW' }));
    assert.deepEqual(nested.Attributes, { m: { x: 5 } });
    await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'REMOVE m' }));
    const an = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'REMOVE b', ReturnValues: 'ALL_NEW' }));
    assert.deepEqual(an.Attributes, { pk: 'rv', sk: '1', a: 10 });
    const ao = await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'rv', sk: '1' }, UpdateExpression: 'SET c = :c', ExpressionAttributeValues: { ':c': true }, ReturnValues: 'ALL_OLD' }));
    assert.deepEqual(ao.Attributes, { pk: 'rv', sk: '1', a: 10 });
    const e = await rejectsWith(d.send(new PutCommand({ TableName: 'items', Item: { pk: 'rv', sk: '1' }, ReturnValues: 'ALL_NEW' })), 'ValidationException');
    assert.equal(e.message, 'Return values set to invalid value');
  });

  it('creates an item with UpdateItem (upsert) and counts with ADD', async () => {
    await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'counter', sk: 'c' }, UpdateExpression: 'ADD hits :one SET created = if_not_exists(created, :now)', ExpressionAttributeValues: { ':one': 1, ':now': 'today' } }));
    await d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'counter', sk: 'c' }, UpdateExpression: 'ADD hits :one SET created = if_not_exists(created, :now)', ExpressionAttributeValues: { ':one': 1, ':now': 'tomorrow' } }));
    const got = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'counter', sk: 'c' } }));
    assert.deepEqual(got.Item, { pk: 'counter', sk: 'c', hits: 2, created: 'today' });
  });

  it('refuses a failed condition with ConditionalCheckFailedException, returning the old item when asked', async () => {
    await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'cond', sk: '1', v: 1 } }));
    const e = await rejectsWith(d.send(new PutCommand({ TableName: 'items', Item: { pk: 'cond', sk: '1', v: 2 }, ConditionExpression: 'attribute_not_exists(pk)' })), 'ConditionalCheckFailedException', 400);
    assert.equal(e.message, 'The conditional request failed');
    const withItem = await rejectsWith(c.send(new UpdateItemCommand({
      TableName: 'items', Key: { pk: { S: 'cond' }, sk: { S: '1' } }, UpdateExpression: 'SET v = :two', ConditionExpression: 'v = :zero',
      ExpressionAttributeValues: { ':two': { N: '2' }, ':zero': { N: '0' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    })), 'ConditionalCheckFailedException');
    assert.deepEqual((withItem as unknown as { Item: unknown }).Item, { pk: { S: 'cond' }, sk: { S: '1' }, v: { N: '1' } });
    await rejectsWith(d.send(new DeleteCommand({ TableName: 'items', Key: { pk: 'cond', sk: '1' }, ConditionExpression: 'v > :n', ExpressionAttributeValues: { ':n': 5 } })), 'ConditionalCheckFailedException');
    const still = await d.send(new GetCommand({ TableName: 'items', Key: { pk: 'cond', sk: '1' } }));
    assert.equal(still.Item?.v, 1);
  });

  it('answers the common key mistakes with AWS messages', async () => {
    let e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'x' } } })), 'ValidationException', 400);
    assert.equal(e.message, 'One or more parameter values were invalid: Missing the key sk in the item');
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { N: '1' }, sk: { S: 'x' } } })), 'ValidationException');
    assert.equal(e.message, 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N');
    e = await rejectsWith(c.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' } } })), 'ValidationException');
    assert.equal(e.message, 'The provided key element does not match the schema');
    e = await rejectsWith(c.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' }, sk: { N: '1' } } })), 'ValidationException');
    assert.equal(e.message, 'The provided key element does not match the schema');
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: '' }, sk: { S: 'x' } } })), 'ValidationException');
    assert.equal(e.message, 'One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk');
    e = await rejectsWith(c.send(new GetItemCommand({ TableName: 'nothing-here', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })), 'ResourceNotFoundException', 400);
    e = await rejectsWith(d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'x', sk: 'y' }, UpdateExpression: 'SET size = :v', ExpressionAttributeValues: { ':v': 1 } })), 'ValidationException');
    assert.equal(e.message, 'Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: size');
    e = await rejectsWith(d.send(new GetCommand({ TableName: 'items', Key: { pk: 'x', sk: 'y' }, ExpressionAttributeNames: { '#a': 'a' } })), 'ValidationException');
    assert.equal(e.message, 'ExpressionAttributeNames can only be specified when using expressions');
    e = await rejectsWith(d.send(new GetCommand({ TableName: 'items', Key: { pk: 'x', sk: 'y' }, ProjectionExpression: 'pk', ExpressionAttributeNames: { '#a': 'a' } })), 'ValidationException');
    assert.equal(e.message, 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}');
  });

  it('sends errors with the __type and content type of DynamoDB', async () => {
    const signed = await rejectsWith(c.send(new GetItemCommand({ TableName: 'nothing-here', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })), 'ResourceNotFoundException');
    assert.equal(signed.message, 'Requested resource not found');
    assert.equal(signed.$metadata?.httpStatusCode, 400);
    const raw = await fetch(cloud.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' });
    assert.equal(raw.status, 400);
    assert.equal(((await raw.json()) as { __type: string }).__type.endsWith('MissingAuthenticationTokenException'), true);
    const stranger = ddb(cloud.endpoint, { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) });
    await rejectsWith(stranger.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })), 'UnrecognizedClientException', 400);
    stranger.destroy();
    const badSecret = ddb(cloud.endpoint, { accessKeyId: root.accessKeyId, secretAccessKey: 'y'.repeat(40) });
    await rejectsWith(badSecret.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' }, sk: { S: 'y' } } })), 'InvalidSignatureException', 400);
    badSecret.destroy();
  });

  it('keeps numbers exact to 38 digits and refuses more', async () => {
    const n = '-0.00000000000000000000000000000000000012345678901234567890123456789012345678';
    await c.send(new PutItemCommand({ TableName: 'numbers', Item: { id: { N: '1' }, n: { N: n }, big: { N: '9.9999999999999999999999999999999999999E+125' }, sci: { N: '1.50e3' } } }));
    const got = await c.send(new GetItemCommand({ TableName: 'numbers', Key: { id: { N: '1.0' } } }));
    assert.equal(got.Item?.n?.N, n);
    assert.equal(got.Item?.sci?.N, '1500');
    assert.equal(got.Item?.big?.N, `99999999999999999999999999999999999999${'0'.repeat(88)}`);
    let e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'numbers', Item: { id: { N: '2' }, n: { N: '1234567890123456789012345678901234567891' } } })), 'ValidationException');
    assert.match(e.message, /38 significant digits/);
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'numbers', Item: { id: { N: '2' }, n: { N: '1E+126' } } })), 'ValidationException');
    assert.match(e.message, /^Number overflow/);
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'numbers', Item: { id: { N: '2' }, n: { N: 'abc' } } })), 'ValidationException');
    assert.match(e.message, /cannot be converted to a numeric value: abc/);
    const add = await c.send(new UpdateItemCommand({ TableName: 'numbers', Key: { id: { N: '1' } }, UpdateExpression: 'ADD sci :d', ExpressionAttributeValues: { ':d': { N: '0.0000000000000000000000000000000001' } }, ReturnValues: 'UPDATED_NEW' }));
    assert.equal(add.Attributes?.sci?.N, '1500.0000000000000000000000000000000001');
  });

  it('applies set rules: no empty sets, no duplicates', async () => {
    let e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 's' }, sk: { S: '1' }, tags: { SS: [] } } })), 'ValidationException');
    assert.equal(e.message, 'One or more parameter values were invalid: An string set  may not be empty');
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 's' }, sk: { S: '1' }, tags: { SS: ['a', 'a'] } } })), 'ValidationException');
    assert.equal(e.message, 'One or more parameter values were invalid: Input collection [a, a] contains duplicates.');
    e = await rejectsWith(c.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 's' }, sk: { S: '1' }, ns: { NS: ['1', '1.0'] } } })), 'ValidationException');
    assert.match(e.message, /contains duplicates/);
  });

  it('refuses items over 400 KB and accepts one just under', async () => {
    const under = 'x'.repeat(400 * 1024 - 100);
    await d.send(new PutCommand({ TableName: 'items', Item: { pk: 'big', sk: '1', data: under } }));
    const e = await rejectsWith(d.send(new PutCommand({ TableName: 'items', Item: { pk: 'big', sk: '2', data: 'x'.repeat(400 * 1024) } })), 'ValidationException');
    assert.equal(e.message, 'Item size has exceeded the maximum allowed size');
    const u = await rejectsWith(d.send(new UpdateCommand({ TableName: 'items', Key: { pk: 'big', sk: '1' }, UpdateExpression: 'SET more = :m', ExpressionAttributeValues: { ':m': 'y'.repeat(200) } })), 'ValidationException');
    assert.equal(u.message, 'Item size to update has exceeded the maximum allowed size');
  });

  it('deletes an absent item quietly and refuses a delete on a missing table', async () => {
    const out = await c.send(new DeleteItemCommand({ TableName: 'items', Key: { pk: { S: 'never' }, sk: { S: 'there' } }, ReturnValues: 'ALL_OLD' }));
    assert.equal(out.Attributes, undefined);
    await rejectsWith(c.send(new DeleteItemCommand({ TableName: 'gone-table', Key: { pk: { S: 'a' }, sk: { S: 'b' } } })), 'ResourceNotFoundException');
  });
});

/** BatchGetItem/BatchWriteItem and TransactWriteItems/TransactGetItems through the SDK. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchGetItemCommand, BatchWriteItemCommand, TransactWriteItemsCommand, type DynamoDBClient, type TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactGetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../index.js';
import { rejectsWith } from '../test-support.js';
import { createActiveTable, simpleTable, startDynamoClients } from './test-support.js';

describe('DynamoDB batches and transactions', () => {
  let cloud: LocalCloud;
  let c: DynamoDBClient;
  let d: DynamoDBDocumentClient;
  before(async () => {
    ({ cloud, c, d } = await startDynamoClients());
    await createActiveTable(c, simpleTable('accounts'));
    await createActiveTable(c, simpleTable('ledger'));
  });
  after(async () => {
    c.destroy();
    await cloud.stop();
  });

  it('writes and reads in batches across tables, with empty Unprocessed maps', async () => {
    const w = await c.send(new BatchWriteItemCommand({
      RequestItems: {
        accounts: [{ PutRequest: { Item: { pk: { S: 'a' }, sk: { S: '1' }, bal: { N: '100' } } } }, { PutRequest: { Item: { pk: { S: 'b' }, sk: { S: '1' }, bal: { N: '5' } } } }],
        ledger: [{ PutRequest: { Item: { pk: { S: 'l' }, sk: { S: '1' } } } }],
      },
    }));
    assert.deepEqual(w.UnprocessedItems, {});
    await c.send(new BatchWriteItemCommand({ RequestItems: { ledger: [{ DeleteRequest: { Key: { pk: { S: 'l' }, sk: { S: '1' } } } }] } }));
    const g = await d.send(new BatchGetCommand({
      RequestItems: { accounts: { Keys: [{ pk: 'a', sk: '1' }, { pk: 'b', sk: '1' }, { pk: 'zz', sk: '1' }], ProjectionExpression: 'pk, bal' }, ledger: { Keys: [{ pk: 'l', sk: '1' }] } },
    }));
    assert.deepEqual(g.Responses?.accounts?.map((i) => i.bal).sort(), [100, 5]);
    assert.deepEqual(g.Responses?.ledger, []);
    assert.deepEqual(g.UnprocessedKeys, {});
    let e = await rejectsWith(c.send(new BatchWriteItemCommand({
      RequestItems: { accounts: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { pk: { S: `k${String(i)}` }, sk: { S: '1' } } } })) },
    })), 'ValidationException');
    assert.match(e.message, /Member must have length less than or equal to 25/);
    e = await rejectsWith(c.send(new BatchGetItemCommand({ RequestItems: { accounts: { Keys: [{ pk: { S: 'a' }, sk: { S: '1' } }, { pk: { S: 'a' }, sk: { S: '1' } }] } } })), 'ValidationException');
    assert.equal(e.message, 'Provided list of item keys contains duplicates');
    e = await rejectsWith(c.send(new BatchGetItemCommand({ RequestItems: { accounts: { Keys: Array.from({ length: 101 }, (_, i) => ({ pk: { S: `k${String(i)}` }, sk: { S: '1' } })) } } })), 'ValidationException');
    assert.equal(e.message, 'Too many items requested for the BatchGetItem call');
    await rejectsWith(c.send(new BatchGetItemCommand({ RequestItems: { nope: { Keys: [{ pk: { S: 'a' }, sk: { S: '1' } }] } } })), 'ResourceNotFoundException');
  });

  it('commits a transfer atomically and reads it back in a transaction', async () => {
    await d.send(new TransactWriteCommand({
      TransactItems: [
        { Update: { TableName: 'accounts', Key: { pk: 'a', sk: '1' }, UpdateExpression: 'SET bal = bal - :x', ConditionExpression: 'bal >= :x', ExpressionAttributeValues: { ':x': 30 } } },
        { Update: { TableName: 'accounts', Key: { pk: 'b', sk: '1' }, UpdateExpression: 'SET bal = bal + :x', ExpressionAttributeValues: { ':x': 30 } } },
        { Put: { TableName: 'ledger', Item: { pk: 'tx', sk: '1', amount: 30 }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ],
    }));
    const r = await d.send(new TransactGetCommand({ TransactItems: [{ Get: { TableName: 'accounts', Key: { pk: 'a', sk: '1' } } }, { Get: { TableName: 'accounts', Key: { pk: 'b', sk: '1' } } }, { Get: { TableName: 'ledger', Key: { pk: 'none', sk: '1' } } }] }));
    assert.deepEqual(r.Responses?.map((x) => x.Item?.bal), [70, 35, undefined]);
  });

  it('cancels the whole transaction with CancellationReasons when one condition fails', async () => {
    const e = await rejectsWith(c.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Update: { TableName: 'accounts', Key: { pk: { S: 'b' }, sk: { S: '1' } }, UpdateExpression: 'SET bal = bal + :x', ExpressionAttributeValues: { ':x': { N: '1000' } } } },
        { ConditionCheck: { TableName: 'accounts', Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConditionExpression: 'bal >= :x', ExpressionAttributeValues: { ':x': { N: '1000' } }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
      ],
    })), 'TransactionCanceledException', 400);
    assert.equal(e.message, 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]');
    const reasons = (e as unknown as TransactionCanceledException).CancellationReasons;
    assert.equal(reasons?.[0]?.Code, 'None');
    assert.equal(reasons?.[1]?.Code, 'ConditionalCheckFailed');
    assert.equal(reasons?.[1]?.Item?.bal?.N, '70');
    const b = await d.send(new GetCommand({ TableName: 'accounts', Key: { pk: 'b', sk: '1' } }));
    assert.equal(b.Item?.bal, 35, 'the first write was not applied');
    const dup = await rejectsWith(c.send(new TransactWriteItemsCommand({
      TransactItems: [
        { Delete: { TableName: 'accounts', Key: { pk: { S: 'a' }, sk: { S: '1' } } } },
        { ConditionCheck: { TableName: 'accounts', Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConditionExpression: 'attribute_exists(pk)' } },
      ],
    })), 'ValidationException');
    assert.equal(dup.message, 'Transaction request cannot include multiple operations on one item');
  });

  it('applies a ClientRequestToken once and refuses it with other parameters', async () => {
    const input = { ClientRequestToken: 'token-1', TransactItems: [{ Update: { TableName: 'ledger', Key: { pk: 'count', sk: '1' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } }] };
    await d.send(new TransactWriteCommand(input));
    await d.send(new TransactWriteCommand(input));
    const got = await d.send(new GetCommand({ TableName: 'ledger', Key: { pk: 'count', sk: '1' } }));
    assert.equal(got.Item?.n, 1);
    await rejectsWith(d.send(new TransactWriteCommand({ ...input, TransactItems: [{ Put: { TableName: 'ledger', Item: { pk: 'other', sk: '1' } } }] })), 'IdempotentParameterMismatchException');
    await d.send(new PutCommand({ TableName: 'ledger', Item: { pk: 'plain', sk: '1' } }));
  });
});

/** Query and Scan through the SDK: order, Limit and LastEvaluatedKey, filters, COUNT, indexes, segments, the 1 MB page. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { QueryCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, PutCommand, paginateQuery, paginateScan, QueryCommand as DocQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../index.js';
import { rejectsWith } from '../test-support.js';
import { createActiveTable, startDynamoClients } from './test-support.js';

describe('DynamoDB Query and Scan', () => {
  let cloud: LocalCloud;
  let c: DynamoDBClient;
  let d: DynamoDBDocumentClient;
  before(async () => {
    ({ cloud, c, d } = await startDynamoClients());
    await createActiveTable(c, {
      TableName: 'events',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'n', KeyType: 'RANGE' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'n', AttributeType: 'N' },
        { AttributeName: 'kind', AttributeType: 'S' }, { AttributeName: 'at', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [{ IndexName: 'by-kind', KeySchema: [{ AttributeName: 'kind', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] } }],
      LocalSecondaryIndexes: [{ IndexName: 'by-at', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'at', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    });
    // 30 items in partition "p" (n = 1..30; numeric order, not string order), kind only on even n (a sparse GSI).
    const items = Array.from({ length: 30 }, (_, i) => ({
      pk: 'p', n: i + 1, at: `t${String(100 - i)}`, note: `note ${String(i + 1)}`, secret: 's',
      ...((i + 1) % 2 === 0 ? { kind: 'even' } : {}),
    }));
    for (let i = 0; i < items.length; i += 25) {
      await d.send(new BatchWriteCommand({ RequestItems: { events: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    }
    await d.send(new BatchWriteCommand({ RequestItems: { events: Array.from({ length: 10 }, (_, i) => ({ PutRequest: { Item: { pk: `other${String(i)}`, n: i } } })) } }));
  });
  after(async () => {
    c.destroy();
    await cloud.stop();
  });

  it('queries in numeric sort-key order, forward and backward', async () => {
    const fwd = await d.send(new DocQuery({ TableName: 'events', KeyConditionExpression: 'pk = :p AND n BETWEEN :a AND :b', ExpressionAttributeValues: { ':p': 'p', ':a': 8, ':b': 11 } }));
    assert.deepEqual(fwd.Items?.map((i) => i.n), [8, 9, 10, 11]);
    const back = await d.send(new DocQuery({ TableName: 'events', KeyConditionExpression: 'pk = :p AND n > :a', ExpressionAttributeValues: { ':p': 'p', ':a': 27 }, ScanIndexForward: false }));
    assert.deepEqual(back.Items?.map((i) => i.n), [30, 29, 28]);
  });

  it('pages with Limit and ExclusiveStartKey; the paginator walks every page', async () => {
    const first = await c.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit: 7 }));
    assert.equal(first.Count, 7);
    assert.deepEqual(first.LastEvaluatedKey, { pk: { S: 'p' }, n: { N: '7' } });
    const second = await c.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit: 7, ExclusiveStartKey: first.LastEvaluatedKey }));
    assert.equal(second.Items?.[0]?.n?.N, '8');
    const seen: number[] = [];
    for await (const page of paginateQuery({ client: d, pageSize: 4 }, { TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' } })) {
      seen.push(...(page.Items ?? []).map((i) => i.n as number));
    }
    assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('filters after the limit (Count vs ScannedCount) and counts with Select: COUNT', async () => {
    const f = await c.send(new QueryCommand({
      TableName: 'events', KeyConditionExpression: 'pk = :p', FilterExpression: 'attribute_exists(kind)', ExpressionAttributeValues: { ':p': { S: 'p' } }, Limit: 5,
    }));
    assert.equal(f.ScannedCount, 5);
    assert.equal(f.Count, 2);
    const count = await c.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } }, Select: 'COUNT' }));
    assert.equal(count.Count, 30);
    assert.equal(count.Items, undefined);
  });

  it('queries a sparse GSI with its projection, and an LSI', async () => {
    const g = await d.send(new DocQuery({ TableName: 'events', IndexName: 'by-kind', KeyConditionExpression: 'kind = :k AND begins_with(#at, :t)', ExpressionAttributeNames: { '#at': 'at' }, ExpressionAttributeValues: { ':k': 'even', ':t': 't9' } }));
    assert.deepEqual(g.Items?.map((i) => i.n), [10, 8, 6, 4, 2]);
    assert.ok(g.Items);
    for (const i of g.Items) {
      assert.equal(i.secret, undefined, 'not projected into the GSI');
      assert.ok(i.note);
      assert.ok(String(i.at).startsWith('t9'));
    }
    const all = await c.send(new QueryCommand({ TableName: 'events', IndexName: 'by-kind', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': { S: 'even' } } }));
    assert.equal(all.Count, 15);
    const paged = await c.send(new QueryCommand({ TableName: 'events', IndexName: 'by-kind', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': { S: 'even' } }, Limit: 2 }));
    assert.deepEqual(Object.keys(paged.LastEvaluatedKey ?? {}).sort(), ['at', 'kind', 'n', 'pk']);
    const l = await d.send(new DocQuery({ TableName: 'events', IndexName: 'by-at', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' }, Limit: 3 }));
    assert.deepEqual(l.Items?.map((i) => i.at), ['t100', 't71', 't72']);
    const e = await rejectsWith(c.send(new QueryCommand({ TableName: 'events', IndexName: 'nope', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } })), 'ValidationException');
    assert.equal(e.message, 'The table does not have the specified index: nope');
    await rejectsWith(c.send(new QueryCommand({ TableName: 'events', IndexName: 'by-kind', ConsistentRead: true, KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': { S: 'even' } } })), 'ValidationException');
    await rejectsWith(c.send(new QueryCommand({ TableName: 'events', IndexName: 'by-kind', Select: 'ALL_ATTRIBUTES', KeyConditionExpression: 'kind = :k', ExpressionAttributeValues: { ':k': { S: 'even' } } })), 'ValidationException');
    const typed = await rejectsWith(d.send(new PutCommand({ TableName: 'events', Item: { pk: 'p', n: 99, kind: 7 } })), 'ValidationException');
    assert.equal(typed.message, 'One or more parameter values were invalid: Type mismatch for Index Key kind Expected: S Actual: N IndexName: by-kind');
  });

  it('scans everything once across pages and across parallel segments', async () => {
    const all: string[] = [];
    for await (const page of paginateScan({ client: d, pageSize: 6 }, { TableName: 'events' })) all.push(...(page.Items ?? []).map((i) => `${String(i.pk)}/${String(i.n)}`));
    assert.equal(all.length, 40);
    assert.equal(new Set(all).size, 40);
    const segs: string[] = [];
    for (let s = 0; s < 4; s += 1) {
      const out = await c.send(new ScanCommand({ TableName: 'events', Segment: s, TotalSegments: 4 }));
      segs.push(...(out.Items ?? []).map((i) => `${String(i.pk?.S)}/${String(i.n?.N)}`));
    }
    assert.deepEqual([...segs].sort(), [...all].sort());
    const e = await rejectsWith(c.send(new ScanCommand({ TableName: 'events', Segment: 4, TotalSegments: 4 })), 'ValidationException');
    assert.match(e.message, /Segment: 4 is not less than TotalSegments: 4/);
    const f = await c.send(new ScanCommand({ TableName: 'events', FilterExpression: 'begins_with(pk, :o)', ExpressionAttributeValues: { ':o': { S: 'other' } }, Select: 'COUNT' }));
    assert.equal(f.Count, 10);
    assert.equal(f.ScannedCount, 40);
  });

  it('stops a page at 1 MB with a LastEvaluatedKey', async () => {
    const big = 'x'.repeat(300 * 1024);
    await d.send(new BatchWriteCommand({ RequestItems: { events: Array.from({ length: 5 }, (_, i) => ({ PutRequest: { Item: { pk: 'big', n: i, data: big } } })) } }));
    const first = await c.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'big' } } }));
    assert.equal(first.Count, 4);
    assert.deepEqual(first.LastEvaluatedKey, { pk: { S: 'big' }, n: { N: '3' } });
    const rest = await c.send(new QueryCommand({ TableName: 'events', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'big' } }, ExclusiveStartKey: first.LastEvaluatedKey }));
    assert.equal(rest.Count, 1);
    assert.equal(rest.LastEvaluatedKey, undefined);
    const scan = await c.send(new ScanCommand({ TableName: 'events', FilterExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'big' } } }));
    assert.ok(scan.LastEvaluatedKey, 'a Scan page stops at 1 MB too');
    assert.ok((scan.ScannedCount ?? 0) < 45);
  });
});

/** DynamoDB tables through the unmodified SDK: create, describe (CREATING → ACTIVE), list, update, delete, tags, TTL. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand, ListTablesCommand,
  ListTagsOfResourceCommand, PutItemCommand, TagResourceCommand, UntagResourceCommand, UpdateTableCommand, UpdateTimeToLiveCommand,
  paginateListTables, waitUntilTableNotExists, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { advanceClock, type LocalCloud } from '../index.js';
import { rejectsWith, type Creds } from '../test-support.js';
import { createActiveTable, ddb, simpleTable, startDynamoCloud } from './test-support.js';

describe('DynamoDB tables', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let c: DynamoDBClient;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ddb-tables-'));
    ({ cloud, root } = await startDynamoCloud(dataDir));
    c = ddb(cloud.endpoint, root);
  });
  after(async () => {
    c.destroy();
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates a table with GSI and LSI: CREATING, then ACTIVE for the SDK waiter', async () => {
    const out = await c.send(new CreateTableCommand({
      TableName: 'orders',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gpk', AttributeType: 'S' }, { AttributeName: 'amount', AttributeType: 'N' },
      ],
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
      GlobalSecondaryIndexes: [{
        IndexName: 'by-gpk', KeySchema: [{ AttributeName: 'gpk', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' },
        ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      }],
      LocalSecondaryIndexes: [{
        IndexName: 'by-amount', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'amount', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      Tags: [{ Key: 'team', Value: 'core' }],
    }));
    assert.equal(out.TableDescription?.TableStatus, 'CREATING');
    assert.equal(out.TableDescription?.TableArn, 'arn:aws:dynamodb:us-east-1:111111111111:table/orders');
    await assert.rejects(c.send(new PutItemCommand({ TableName: 'orders', Item: { pk: { S: 'a' }, sk: { S: 'b' } } })), { name: 'ResourceNotFoundException' });
    const { waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
    const w = await waitUntilTableExists({ client: c, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: 'orders' });
    assert.equal(w.state, 'SUCCESS');
    const d = await c.send(new DescribeTableCommand({ TableName: 'orders' }));
    assert.equal(d.Table?.TableStatus, 'ACTIVE');
    assert.equal(d.Table?.ProvisionedThroughput?.ReadCapacityUnits, 5);
    assert.equal(d.Table?.GlobalSecondaryIndexes?.[0]?.IndexArn, 'arn:aws:dynamodb:us-east-1:111111111111:table/orders/index/by-gpk');
    assert.equal(d.Table?.GlobalSecondaryIndexes?.[0]?.IndexStatus, 'ACTIVE');
    assert.equal(d.Table?.LocalSecondaryIndexes?.[0]?.IndexName, 'by-amount');
    assert.equal(d.Table?.StreamSpecification?.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.ok(d.Table?.LatestStreamArn?.startsWith('arn:aws:dynamodb:us-east-1:111111111111:table/orders/stream/'));
    assert.ok(d.Table?.CreationDateTime instanceof Date);
    const tags = await c.send(new ListTagsOfResourceCommand({ ResourceArn: d.Table?.TableArn }));
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'core' }]);
  });

  it('refuses a second table of the same name: ResourceInUseException', async () => {
    const e = await rejectsWith(c.send(new CreateTableCommand(simpleTable('orders'))), 'ResourceInUseException', 400);
    assert.equal(e.message, 'Table already exists: orders');
  });

  it('validates CreateTable as AWS does', async () => {
    const bad = async (input: Parameters<typeof simpleTable>[1], name: string, message: RegExp): Promise<void> => {
      const e = await rejectsWith(c.send(new CreateTableCommand(simpleTable(name, input))), 'ValidationException', 400);
      assert.match(e.message, message);
    };
    await bad({ AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }, 'val1',
      /^One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: \[sk\], AttributeDefinitions: \[pk\]$/);
    await bad({ AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }, { AttributeName: 'x', AttributeType: 'S' }] }, 'val2',
      /Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions/);
    await bad({ KeySchema: [{ AttributeName: 'sk', KeyType: 'RANGE' }, { AttributeName: 'pk', KeyType: 'HASH' }] }, 'val3', /The first KeySchemaElement is not a HASH key type/);
    await bad({ ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }, 'val4', /Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST/);
    await bad({ BillingMode: 'PROVISIONED' }, 'val5', /ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED/);
    await bad({}, 'x', /Member must have length greater than or equal to 3/);
    await bad({
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'n', AttributeType: 'N' }],
      LocalSecondaryIndexes: [{ IndexName: 'lsi', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'n', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } }],
    }, 'val6', /Table KeySchema does not have a range key/);
  });

  it('describes a missing table as ResourceNotFoundException', async () => {
    const e = await rejectsWith(c.send(new DescribeTableCommand({ TableName: 'nope' })), 'ResourceNotFoundException', 400);
    assert.equal(e.message, 'Requested resource not found: Table: nope not found');
  });

  it('lists tables in pages', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await c.send(new CreateTableCommand(simpleTable(n)));
    const first = await c.send(new ListTablesCommand({ Limit: 2 }));
    assert.deepEqual(first.TableNames, ['orders', 'page-a']);
    assert.equal(first.LastEvaluatedTableName, 'page-a');
    const names: string[] = [];
    for await (const p of paginateListTables({ client: c, pageSize: 2 }, {})) names.push(...(p.TableNames ?? []));
    assert.deepEqual(names, ['orders', 'page-a', 'page-b', 'page-c']);
  });

  it('keeps a table protected against deletion until protection is turned off; then deletes it', async () => {
    await createActiveTable(c, simpleTable('guarded', { DeletionProtectionEnabled: true }));
    const e = await rejectsWith(c.send(new DeleteTableCommand({ TableName: 'guarded' })), 'ValidationException');
    assert.match(e.message, /protected against deletion/);
    await c.send(new UpdateTableCommand({ TableName: 'guarded', DeletionProtectionEnabled: false }));
    const del = await c.send(new DeleteTableCommand({ TableName: 'guarded' }));
    assert.equal(del.TableDescription?.TableStatus, 'DELETING');
    const w = await waitUntilTableNotExists({ client: c, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: 'guarded' });
    assert.equal(w.state, 'SUCCESS');
    await rejectsWith(c.send(new DeleteTableCommand({ TableName: 'guarded' })), 'ResourceNotFoundException');
  });

  it('tags and untags a table', async () => {
    const arn = 'arn:aws:dynamodb:us-east-1:111111111111:table/orders';
    await c.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'env', Value: 'dev' }] }));
    await c.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['team'] }));
    const t = await c.send(new ListTagsOfResourceCommand({ ResourceArn: arn }));
    assert.deepEqual(t.Tags, [{ Key: 'env', Value: 'dev' }]);
    await rejectsWith(c.send(new ListTagsOfResourceCommand({ ResourceArn: 'arn:aws:dynamodb:us-east-1:111111111111:table/none' })), 'ResourceNotFoundException');
  });

  it('switches billing mode and adds then removes a GSI', async () => {
    await createActiveTable(c, simpleTable('billing'));
    const u = await c.send(new UpdateTableCommand({
      TableName: 'billing', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 3, WriteCapacityUnits: 4 },
    }));
    assert.equal(u.TableDescription?.TableStatus, 'UPDATING');
    let d = await c.send(new DescribeTableCommand({ TableName: 'billing' }));
    assert.equal(d.Table?.ProvisionedThroughput?.WriteCapacityUnits, 4);
    assert.equal(d.Table?.BillingModeSummary, undefined);
    await c.send(new UpdateTableCommand({
      TableName: 'billing', AttributeDefinitions: [{ AttributeName: 'email', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: { IndexName: 'by-email', KeySchema: [{ AttributeName: 'email', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } } }],
    }));
    await createActiveTableWait(c, 'billing');
    d = await c.send(new DescribeTableCommand({ TableName: 'billing' }));
    assert.equal(d.Table?.GlobalSecondaryIndexes?.[0]?.IndexName, 'by-email');
    assert.ok(d.Table?.AttributeDefinitions?.some((a) => a.AttributeName === 'email'));
    await c.send(new UpdateTableCommand({ TableName: 'billing', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'by-email' } }] }));
    d = await c.send(new DescribeTableCommand({ TableName: 'billing' }));
    assert.equal(d.Table?.GlobalSecondaryIndexes, undefined);
    await c.send(new UpdateTableCommand({ TableName: 'billing', BillingMode: 'PAY_PER_REQUEST' }));
    d = await c.send(new DescribeTableCommand({ TableName: 'billing' }));
    assert.equal(d.Table?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    await rejectsWith(c.send(new UpdateTableCommand({ TableName: 'billing', GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'nope' } }] })), 'ResourceNotFoundException');
  });

  it('enables TTL and removes expired items lazily (server clock)', async () => {
    await createActiveTable(c, simpleTable('sessions'));
    let ttl = await c.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }));
    assert.equal(ttl.TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED');
    await c.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } }));
    ttl = await c.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }));
    assert.deepEqual({ ...ttl.TimeToLiveDescription }, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires' });
    const e = await rejectsWith(c.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } })), 'ValidationException');
    assert.equal(e.message, 'TimeToLive is already enabled');
    const now = Math.floor(cloud.now().getTime() / 1000);
    await c.send(new PutItemCommand({ TableName: 'sessions', Item: { pk: { S: 's' }, sk: { S: '1' }, expires: { N: String(now + 60) } } }));
    assert.ok((await c.send(new GetItemCommand({ TableName: 'sessions', Key: { pk: { S: 's' }, sk: { S: '1' } } }))).Item);
    await advanceClock(cloud.endpoint, 120, { adminToken: cloud.adminToken });
    const gone = await c.send(new GetItemCommand({ TableName: 'sessions', Key: { pk: { S: 's' }, sk: { S: '1' } }, ConsistentRead: true }));
    assert.equal(gone.Item, undefined);
  });

  it('keeps tables and items across a restart (data dir)', async () => {
    await c.send(new PutItemCommand({ TableName: 'billing', Item: { pk: { S: 'keep' }, sk: { S: '1' }, n: { N: '12345678901234567890123456789012345678' } } }));
    c.destroy();
    await cloud.stop();
    ({ cloud } = await startDynamoCloud(dataDir));
    c = ddb(cloud.endpoint, root);
    const got = await c.send(new GetItemCommand({ TableName: 'billing', Key: { pk: { S: 'keep' }, sk: { S: '1' } } }));
    assert.equal(got.Item?.n?.N, '12345678901234567890123456789012345678');
    const d = await c.send(new DescribeTableCommand({ TableName: 'orders' }));
    assert.equal(d.Table?.TableStatus, 'ACTIVE');
  });

  it('creates or deletes one index per UpdateTable, and updates the throughput of several at once', async () => {
    const gsi = (attr: string) => ({ IndexName: `by-${attr}`, KeySchema: [{ AttributeName: attr, KeyType: 'HASH' as const }], Projection: { ProjectionType: 'KEYS_ONLY' as const }, ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } });
    await createActiveTable(c, {
      TableName: 'indexed', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
      AttributeDefinitions: ['pk', 'a', 'b'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], GlobalSecondaryIndexes: [gsi('a'), gsi('b')],
    });
    await createActiveTableWait(c, 'indexed');
    const two = await rejectsWith(c.send(new UpdateTableCommand({
      TableName: 'indexed', AttributeDefinitions: [{ AttributeName: 'c', AttributeType: 'S' }],
      GlobalSecondaryIndexUpdates: [{ Create: gsi('c') }, { Delete: { IndexName: 'by-a' } }],
    })), 'ValidationException');
    assert.equal(two.message, 'One or more parameter values were invalid: Only 1 online index operation can be performed at a time');
    await c.send(new UpdateTableCommand({
      TableName: 'indexed', GlobalSecondaryIndexUpdates: ['by-a', 'by-b'].map((IndexName) => ({ Update: { IndexName, ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 6 } } })),
    }));
    const d = await c.send(new DescribeTableCommand({ TableName: 'indexed' }));
    assert.deepEqual(d.Table?.GlobalSecondaryIndexes?.map((g) => g.ProvisionedThroughput?.WriteCapacityUnits), [6, 6]);
  });

  it('accepts one time-to-live change an hour, as DynamoDB', async () => {
    await createActiveTable(c, simpleTable('hourly'));
    await c.send(new UpdateTimeToLiveCommand({ TableName: 'hourly', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' } }));
    const soon = await rejectsWith(c.send(new UpdateTimeToLiveCommand({ TableName: 'hourly', TimeToLiveSpecification: { Enabled: false, AttributeName: 'expires' } })), 'ValidationException');
    assert.equal(soon.message, 'Time to live has been modified multiple times within a fixed interval');
    await advanceClock(cloud.endpoint, 3600, { adminToken: cloud.adminToken });
    // The client signs with the server's clock from now on (as the SDK does after a skew answer).
    (c.config as { systemClockOffset: number }).systemClockOffset = cloud.now().getTime() - Date.now();
    await c.send(new UpdateTimeToLiveCommand({ TableName: 'hourly', TimeToLiveSpecification: { Enabled: false, AttributeName: 'expires' } }));
    assert.equal((await c.send(new DescribeTimeToLiveCommand({ TableName: 'hourly' }))).TimeToLiveDescription?.TimeToLiveStatus, 'DISABLED');
  });
});

async function createActiveTableWait(c: DynamoDBClient, name: string): Promise<void> {
  const { waitUntilTableExists } = await import('@aws-sdk/client-dynamodb');
  for (let i = 0; i < 30; i += 1) {
    await waitUntilTableExists({ client: c, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
    const d = await c.send(new DescribeTableCommand({ TableName: name }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * DynamoDB authorisation for an IAM user: AWS's action names, table and index ARNs, and the
 * `dynamodb:LeadingKeys` condition key of fine-grained access control (each user reaches only
 * the items whose partition key is their user name).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeTableCommand, ListTablesCommand, ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../index.js';
import { iamClient, rejectsWith, type Creds } from '../test-support.js';
import { createActiveTable, ddb, doc, simpleTable, startDynamoCloud } from './test-support.js';

const TABLE = 'arn:aws:dynamodb:us-east-1:111111111111:table/notes';

describe('DynamoDB authorisation', () => {
  let cloud: LocalCloud;
  let root: Creds;
  let admin: DynamoDBClient;
  let aliceRaw: DynamoDBClient;
  let alice: DynamoDBDocumentClient;
  before(async () => {
    ({ cloud, root } = await startDynamoCloud());
    admin = ddb(cloud.endpoint, root);
    await createActiveTable(admin, simpleTable('notes', {
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }, { AttributeName: 'tag', AttributeType: 'S' }],
      GlobalSecondaryIndexes: [{ IndexName: 'by-tag', KeySchema: [{ AttributeName: 'tag', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    }));
    await doc(admin).send(new PutCommand({ TableName: 'notes', Item: { pk: 'bob', sk: '1', tag: 't', text: "bob's" } }));
    const iam = iamClient(cloud.endpoint, root);
    await iam.send(new CreateUserCommand({ UserName: 'alice' }));
    await iam.send(new PutUserPolicyCommand({
      UserName: 'alice', PolicyName: 'own-items',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchWriteItem'], Resource: TABLE,
            Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['${aws:username}'] } },
          },
          { Effect: 'Allow', Action: 'dynamodb:Query', Resource: `${TABLE}/index/by-tag` },
        ],
      }),
    }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'alice' }));
    iam.destroy();
    aliceRaw = ddb(cloud.endpoint, { accessKeyId: key.AccessKey?.AccessKeyId as string, secretAccessKey: key.AccessKey?.SecretAccessKey as string });
    alice = doc(aliceRaw);
  });
  after(async () => {
    admin.destroy();
    aliceRaw.destroy();
    await cloud.stop();
  });

  it('reaches the items under her own partition key', async () => {
    await alice.send(new PutCommand({ TableName: 'notes', Item: { pk: 'alice', sk: '1', tag: 't', text: 'mine' } }));
    assert.equal((await alice.send(new GetCommand({ TableName: 'notes', Key: { pk: 'alice', sk: '1' } }))).Item?.text, 'mine');
    const q = await alice.send(new QueryCommand({ TableName: 'notes', KeyConditionExpression: 'pk = :me', ExpressionAttributeValues: { ':me': 'alice' } }));
    assert.equal(q.Count, 1);
    await alice.send(new BatchWriteCommand({ RequestItems: { notes: [{ PutRequest: { Item: { pk: 'alice', sk: '2' } } }] } }));
  });

  it("is refused another user's items with AWS's message", async () => {
    const e = await rejectsWith(alice.send(new GetCommand({ TableName: 'notes', Key: { pk: 'bob', sk: '1' } })), 'AccessDeniedException', 400);
    assert.match(e.message, /^User: arn:aws:iam::111111111111:user\/alice is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:111111111111:table\/notes/);
    await rejectsWith(alice.send(new PutCommand({ TableName: 'notes', Item: { pk: 'bob', sk: '2' } })), 'AccessDeniedException');
    await rejectsWith(alice.send(new QueryCommand({ TableName: 'notes', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'bob' } })), 'AccessDeniedException');
    await rejectsWith(alice.send(new BatchWriteCommand({ RequestItems: { notes: [{ PutRequest: { Item: { pk: 'alice', sk: '3' } } }, { PutRequest: { Item: { pk: 'bob', sk: '3' } } }] } })), 'AccessDeniedException');
  });

  it('queries the index by its own ARN and is refused what the policy does not name', async () => {
    const q = await aliceRaw.send(new QueryCommand({ TableName: 'notes', IndexName: 'by-tag', KeyConditionExpression: 'tag = :t', ExpressionAttributeValues: { ':t': 't' } }));
    assert.equal(q.Count, 2);
    const scan = await rejectsWith(aliceRaw.send(new ScanCommand({ TableName: 'notes', IndexName: 'by-tag' })), 'AccessDeniedException');
    assert.match(scan.message, /dynamodb:Scan on resource: arn:aws:dynamodb:us-east-1:111111111111:table\/notes\/index\/by-tag/);
    await rejectsWith(aliceRaw.send(new DescribeTableCommand({ TableName: 'notes' })), 'AccessDeniedException');
    await rejectsWith(aliceRaw.send(new ListTablesCommand({})), 'AccessDeniedException');
    // Transactions are authorised per item with the item's own action, as on AWS.
    await alice.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'notes', Item: { pk: 'alice', sk: '9' } } }] }));
    const tx = await rejectsWith(alice.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: 'notes', Item: { pk: 'bob', sk: '9' } } }] })), 'AccessDeniedException');
    assert.match(tx.message, /dynamodb:PutItem on resource/);
    // A table that does not exist is refused before it is looked up, so its existence does not leak.
    await rejectsWith(alice.send(new GetCommand({ TableName: 'secret-table', Key: { pk: 'alice', sk: '1' } })), 'AccessDeniedException');
  });
});

/** Helpers for the DynamoDB tests: a cloud with DynamoDB only, and SDK clients pointed at it. */
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAccount, startLocalCloud, type LocalCloud } from '../index.js';
import type { Creds } from '../test-support.js';
import { dynamoDbService } from './index.js';

export async function startDynamoCloud(dataDir?: string): Promise<{ cloud: LocalCloud; root: Creds }> {
  const cloud = await startLocalCloud({ port: 0, dataDir, services: [dynamoDbService], allowClockControl: true });
  const root = await createAccount(cloud.endpoint, { adminToken: cloud.adminToken, accountId: '111111111111' });
  return { cloud, root };
}

/** A DynamoDB-only cloud with the root account's low-level and Document clients (what most tests start from). */
export async function startDynamoClients(): Promise<{ cloud: LocalCloud; root: Creds; c: DynamoDBClient; d: DynamoDBDocumentClient }> {
  const { cloud, root } = await startDynamoCloud();
  const c = ddb(cloud.endpoint, root);
  return { cloud, root, c, d: doc(c) };
}

export function ddb(endpoint: string, c: Creds): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: c, maxAttempts: 1 });
}

export function doc(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client);
}

/** Creates a table and waits (with the SDK's waiter) until it is ACTIVE. */
export async function createActiveTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: input.TableName });
}

/** A table keyed by pk (S) and sk (S), on demand. */
export function simpleTable(name: string, extra: Partial<CreateTableCommandInput> = {}): CreateTableCommandInput {
  return {
    TableName: name,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
    ...extra,
  };
}

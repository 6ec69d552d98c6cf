import {
  DescribeTableCommand, DescribeTimeToLiveCommand, ListTagsOfResourceCommand, type DynamoDBClient, type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { IndexSpec, KeyAttribute, KnownTable } from './state.js';

/**
 * The table as AWS has it (null: there is none). Tags are read too, but only the keys in
 * `tagKeys` are kept: tags others put on the table are not Hangar's to change.
 */
export async function observeTable(ddb: DynamoDBClient, name: string, tagKeys: ReadonlySet<string>, signal?: AbortSignal): Promise<KnownTable | null> {
  const opts = signal ? { abortSignal: signal } : {};
  const t = await describeTable(ddb, name, signal);
  if (!t?.TableArn) return null;
  const arn = t.TableArn;
  const ttl = await awsCall('dynamodb:DescribeTimeToLive', name, () => ddb.send(new DescribeTimeToLiveCommand({ TableName: name }), opts));
  const tags: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const page = await awsCall('dynamodb:ListTagsOfResource', arn, () => ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn, ...(NextToken ? { NextToken } : {}) }), opts));
    for (const tag of page.Tags ?? []) if (tag.Key && tagKeys.has(tag.Key)) tags[tag.Key] = tag.Value ?? '';
    NextToken = page.NextToken;
  } while (NextToken);
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  const ttlAttribute = status === 'ENABLED' || status === 'ENABLING' ? ttl.TimeToLiveDescription?.AttributeName : undefined;
  return { ...specOf(t), ...(ttlAttribute ? { ttlAttribute } : {}), tags, arn };
}

/** DescribeTable, or undefined when the table does not exist. */
export async function describeTable(ddb: DynamoDBClient, name: string, signal?: AbortSignal): Promise<TableDescription | undefined> {
  return awsCall('dynamodb:DescribeTable', name, async () => {
    try {
      return (await ddb.send(new DescribeTableCommand({ TableName: name }), signal ? { abortSignal: signal } : {})).Table;
    } catch (e) {
      if (isAwsError(e, 'ResourceNotFoundException')) return undefined;
      throw e;
    }
  });
}

function specOf(t: TableDescription): Omit<KnownTable, 'tags' | 'arn' | 'ttlAttribute'> {
  const types = new Map((t.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType as KeyAttribute['type']]));
  const keys = (schema: TableDescription['KeySchema']) => {
    const attr = (kind: string): KeyAttribute | undefined => {
      const n = schema?.find((k) => k.KeyType === kind)?.AttributeName;
      return n ? { name: n, type: types.get(n) ?? 'S' } : undefined;
    };
    const sortKey = attr('RANGE');
    return { partitionKey: attr('HASH') ?? { name: '', type: 'S' as const }, ...(sortKey ? { sortKey } : {}) };
  };
  const indexes: IndexSpec[] = (t.GlobalSecondaryIndexes ?? []).filter((g) => g.IndexStatus !== 'DELETING').map((g) => ({
    name: g.IndexName ?? '',
    ...keys(g.KeySchema),
    projection: g.Projection?.ProjectionType === 'INCLUDE' ? [...(g.Projection.NonKeyAttributes ?? [])] : (g.Projection?.ProjectionType === 'KEYS_ONLY' ? 'KEYS_ONLY' : 'ALL'),
  }));
  const onDemand = t.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST';
  return {
    name: t.TableName ?? '',
    ...keys(t.KeySchema),
    indexes,
    billing: onDemand
      ? 'PAY_PER_REQUEST'
      : { readCapacity: t.ProvisionedThroughput?.ReadCapacityUnits ?? 0, writeCapacity: t.ProvisionedThroughput?.WriteCapacityUnits ?? 0 },
    deletionProtection: t.DeletionProtectionEnabled === true,
  };
}

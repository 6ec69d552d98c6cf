import {
  CreateTableCommand, DeleteTableCommand, TagResourceCommand, UntagResourceCommand, UpdateTableCommand, UpdateTimeToLiveCommand,
  type AttributeDefinition, type DynamoDBClient, type GlobalSecondaryIndex, type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { HangarError } from '@hangar/core';
import { awsCall, isAwsError } from '../sdk/aws-errors.js';
import type { ComponentLogger } from '../sdk/component.js';
import { describeTable } from './observe.js';
import type { TableOperation, TablePlan } from './plan.js';
import type { IndexSpec, KeyAttribute, KnownTable, TableSpec } from './state.js';

export interface TableApplyDeps {
  readonly ddb: DynamoDBClient;
  readonly log: ComponentLogger;
  readonly signal?: AbortSignal;
  readonly sleep: (ms: number) => Promise<void>;
  /** Pause between two looks while waiting for the table (ms). */
  readonly pollMs: number;
  /** Longest wait for a table or index to become ACTIVE (or gone), in seconds. */
  readonly maxWaitSeconds: number;
}

/**
 * Runs the operations in order and returns the table as it now is (undefined once deleted).
 * After each change it waits until DynamoDB reports the table and its indexes ACTIVE, since
 * DynamoDB accepts one update at a time (ResourceInUseException otherwise).
 */
export async function applyTablePlan(plan: TablePlan, current: KnownTable | undefined, deps: TableApplyDeps): Promise<KnownTable | undefined> {
  let table = current ? structuredClone(current) : undefined;
  for (const op of plan.operations) {
    deps.signal?.throwIfAborted();
    table = await run(op, table, deps);
  }
  return table;
}

async function run(op: TableOperation, table: KnownTable | undefined, deps: TableApplyDeps): Promise<KnownTable | undefined> {
  const { ddb, log, signal } = deps;
  const opts = signal ? { abortSignal: signal } : {};
  const known = (): KnownTable => { if (!table) throw new Error('plan order: the table before its changes'); return table; };
  const update = (what: string, input: Omit<ConstructorParameters<typeof UpdateTableCommand>[0], 'TableName'>) =>
    awsCall('dynamodb:UpdateTable', op.op === 'createTable' ? op.spec.name : op.name, async () => {
      await ddb.send(new UpdateTableCommand({ TableName: known().name, ...input }), opts);
      log.info(what);
    });

  switch (op.op) {
    case 'createTable': {
      const { spec } = op;
      log.info(`Creating DynamoDB table ${spec.name} (partition key ${spec.partitionKey.name}${spec.sortKey ? `, sort key ${spec.sortKey.name}` : ''}, ${spec.billing === 'PAY_PER_REQUEST' ? 'on-demand' : 'provisioned'})`);
      const out = await awsCall('dynamodb:CreateTable', spec.name, () => ddb.send(new CreateTableCommand({
        TableName: spec.name,
        AttributeDefinitions: definitions([spec.partitionKey, spec.sortKey, ...spec.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]),
        KeySchema: keySchema(spec),
        ...billingFields(spec.billing),
        ...(spec.indexes.length ? { GlobalSecondaryIndexes: spec.indexes.map((i) => gsi(i, spec.billing)) } : {}),
        DeletionProtectionEnabled: spec.deletionProtection,
        Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
      }), opts));
      const arn = required(out.TableDescription?.TableArn, 'CreateTable', 'TableDescription.TableArn');
      const { ttlAttribute: _ttl, ...rest } = spec;
      const created: KnownTable = { ...structuredClone(rest), arn };
      await waitFor(deps, spec.name, 'ACTIVE', isReady);
      return created;
    }
    case 'deleteTable': {
      log.info(`Deleting DynamoDB table ${op.name} and all its items`);
      await awsCall('dynamodb:DeleteTable', op.name, async () => {
        try {
          await ddb.send(new DeleteTableCommand({ TableName: op.name }), opts);
        } catch (e) {
          if (!isAwsError(e, 'ResourceNotFoundException')) throw e;
        }
      });
      await waitFor(deps, op.name, 'deleted', (t) => t === undefined);
      return undefined;
    }
    case 'setDeletionProtection': {
      await update(`Deletion protection ${op.enabled ? 'on' : 'off'} for ${op.name}`, { DeletionProtectionEnabled: op.enabled });
      return { ...known(), deletionProtection: op.enabled };
    }
    case 'setBilling': {
      const provisioned = op.billing !== 'PAY_PER_REQUEST';
      await update(`Billing of ${op.name} set to ${provisioned ? 'provisioned capacity' : 'on-demand'}`, {
        ...billingFields(op.billing),
        ...(provisioned && op.indexes.length
          ? { GlobalSecondaryIndexUpdates: op.indexes.map((IndexName) => ({ Update: { IndexName, ProvisionedThroughput: throughput(op.billing) } })) }
          : {}),
      });
      await waitFor(deps, op.name, 'ACTIVE', isReady);
      return { ...known(), billing: op.billing };
    }
    case 'deleteIndex': {
      await update(`Deleting index ${op.index} of ${op.name}`, { GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: op.index } }] });
      const t = known();
      const next = { ...t, indexes: t.indexes.filter((i) => i.name !== op.index) };
      await waitFor(deps, op.name, `index ${op.index} deleted`, (d) => isReady(d) && !d?.GlobalSecondaryIndexes?.some((g) => g.IndexName === op.index));
      return next;
    }
    case 'createIndex': {
      const ix = op.index;
      await update(`Creating index ${ix.name} of ${op.name} (DynamoDB fills it from the table's items; this can take a while)`, {
        AttributeDefinitions: definitions([ix.partitionKey, ix.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: gsi(ix, op.billing) }],
      });
      const t = known();
      const next = { ...t, indexes: [...t.indexes.filter((i) => i.name !== ix.name), structuredClone(ix)] };
      await waitFor(deps, op.name, `index ${ix.name} ACTIVE`, isReady);
      return next;
    }
    case 'enableTtl':
    case 'disableTtl': {
      const Enabled = op.op === 'enableTtl';
      await awsCall('dynamodb:UpdateTimeToLive', op.name, () =>
        ddb.send(new UpdateTimeToLiveCommand({ TableName: op.name, TimeToLiveSpecification: { Enabled, AttributeName: op.attribute } }), opts));
      log.info(`Time to live ${Enabled ? `on (attribute ${op.attribute})` : 'off'} for ${op.name}`);
      const { ttlAttribute: _old, ...rest } = known();
      return Enabled ? { ...rest, ttlAttribute: op.attribute } : rest;
    }
    case 'tag': {
      const t = known();
      await awsCall('dynamodb:TagResource', t.arn, () =>
        ddb.send(new TagResourceCommand({ ResourceArn: t.arn, Tags: Object.entries(op.tags).map(([Key, Value]) => ({ Key, Value })) }), opts));
      return { ...t, tags: { ...t.tags, ...op.tags } };
    }
    case 'untag': {
      const t = known();
      await awsCall('dynamodb:UntagResource', t.arn, () => ddb.send(new UntagResourceCommand({ ResourceArn: t.arn, TagKeys: [...op.keys] }), opts));
      return { ...t, tags: Object.fromEntries(Object.entries(t.tags).filter(([k]) => !op.keys.includes(k))) };
    }
  }
}

function isReady(t: TableDescription | undefined): boolean {
  return t?.TableStatus === 'ACTIVE' && (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE');
}

/** Looks at the table until `done` (first look at once); an AWS error ends the wait at once. */
async function waitFor(deps: TableApplyDeps, name: string, what: string, done: (t: TableDescription | undefined) => boolean): Promise<void> {
  const deadline = Date.now() + deps.maxWaitSeconds * 1000;
  for (;;) {
    const t = await describeTable(deps.ddb, name, deps.signal);
    if (done(t)) return;
    if (Date.now() >= deadline) {
      throw new HangarError('COMPONENT_AWS_ERROR', `Table ${name} was not ${what} after ${deps.maxWaitSeconds} s (it is ${t?.TableStatus ?? 'gone'}); deploy again to continue.`, {
        details: { table: name, status: t?.TableStatus ?? null },
      });
    }
    deps.signal?.throwIfAborted();
    await deps.sleep(deps.pollMs);
  }
}

function definitions(keys: readonly (KeyAttribute | undefined)[]): AttributeDefinition[] {
  const seen = new Map<string, KeyAttribute['type']>();
  for (const k of keys) if (k && !seen.has(k.name)) seen.set(k.name, k.type);
  return [...seen].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

function keySchema(k: Pick<TableSpec, 'partitionKey' | 'sortKey'>) {
  return [
    { AttributeName: k.partitionKey.name, KeyType: 'HASH' as const },
    ...(k.sortKey ? [{ AttributeName: k.sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

function throughput(billing: TableSpec['billing']) {
  return billing === 'PAY_PER_REQUEST' ? undefined : { ReadCapacityUnits: billing.readCapacity, WriteCapacityUnits: billing.writeCapacity };
}

function billingFields(billing: TableSpec['billing']) {
  const t = throughput(billing);
  return t ? { BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: t } : { BillingMode: 'PAY_PER_REQUEST' as const };
}

function gsi(ix: IndexSpec, billing: TableSpec['billing']): GlobalSecondaryIndex {
  const t = throughput(billing);
  return {
    IndexName: ix.name,
    KeySchema: keySchema(ix),
    Projection: Array.isArray(ix.projection) ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...ix.projection] } : { ProjectionType: ix.projection },
    ...(t ? { ProvisionedThroughput: t } : {}),
  };
}

function required<T>(value: T | undefined | null, call: string, field: string): T {
  if (value === undefined || value === null) {
    throw new HangarError('COMPONENT_AWS_ERROR', `AWS answered ${call} without ${field}; the endpoint may not be AWS-compatible.`, { details: { call, field } });
  }
  return value;
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HangarError } from '@hangar/core';
import { awsClientConfig } from '../sdk/aws-clients.js';
import type { Component, ComponentContext, DeployResult, InstanceRef, PermissionStatement } from '../sdk/component.js';
import { instanceResourceName, instanceTags } from '../sdk/names.js';
import { applyTablePlan } from './apply.js';
import { tableInputs, type TableInputs } from './inputs.js';
import { observeTable } from './observe.js';
import { planTable } from './plan.js';
import { tableStateSchema, type KnownTable, type TableSpec, type TableState } from './state.js';

export interface TableDeps {
  /** Builds the DynamoDB client for a context (default: an SDK v3 client from ctx's credentials, region and endpoint). */
  readonly createClient?: (ctx: ComponentContext) => DynamoDBClient;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Pause between looks while waiting for the table (default 2000 ms). */
  readonly pollMs?: number;
  /** Longest wait for a table or index to become ACTIVE, in seconds (default 1800: filling an index of a big table takes a while). */
  readonly maxWaitSeconds?: number;
}

/** The actions `table` calls, all on its own table. */
export const tableActions = [
  'dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:DeleteTable',
  'dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive',
  'dynamodb:TagResource', 'dynamodb:UntagResource', 'dynamodb:ListTagsOfResource',
] as const;

/** The table's name: `hangar-<app>-<stage>-<name>-<hash>`. */
export function tableName(instance: Pick<InstanceRef, 'app' | 'stage' | 'name' | 'instanceId'>): string {
  return instanceResourceName(instance);
}

/** A deployment of `table` may call the DynamoDB table actions on its own table, nothing else. */
export function tablePermissions(instance: InstanceRef): PermissionStatement[] {
  return [{ actions: [...tableActions], resources: [`arn:aws*:dynamodb:*:*:table/${tableName(instance)}`] }];
}

/**
 * The `table` component: a DynamoDB table (keys, global secondary indexes, time to live, billing,
 * deletion protection, tags). What DynamoDB can change in place is changed in place, one update
 * at a time; a key change is refused unless the deploy says `--replace`.
 */
export function createTable(deps: TableDeps = {}): Component<TableInputs> {
  const createClient = deps.createClient ?? ((ctx: ComponentContext) => new DynamoDBClient(awsClientConfig(ctx)));
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const applyDeps = (ctx: ComponentContext, ddb: DynamoDBClient) => ({
    ddb, log: ctx.log, sleep, pollMs: deps.pollMs ?? 2000, maxWaitSeconds: deps.maxWaitSeconds ?? 1800, ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  async function withClient<T>(ctx: ComponentContext, body: (ddb: DynamoDBClient) => Promise<T>): Promise<T> {
    const ddb = createClient(ctx);
    try {
      return await body(ddb);
    } finally {
      if (!deps.createClient) ddb.destroy();
    }
  }

  return {
    name: 'table',
    description: 'A DynamoDB table: keys, global secondary indexes, time to live, on-demand or provisioned billing, deletion protection.',
    inputs: tableInputs,
    permissions: tablePermissions,

    async deploy(inputs: TableInputs, ctx: ComponentContext): Promise<DeployResult> {
      const previous = readState(ctx.state).table;
      const desired = desiredSpec(inputs, ctx.instance, previous);
      // Planned against the state first: unchanged inputs make no AWS call at all.
      if (previous && planTable(desired, previous, { replace: ctx.replace === true }).operations.length === 0) {
        ctx.log.info(`No changes: table ${previous.name} is up to date`);
        return result(previous);
      }
      return withClient(ctx, async (ddb) => {
        // Something changes: plan against the table as it is (it may have been deleted or changed outside Hangar).
        const tagKeys = new Set([...Object.keys(desired.tags), ...Object.keys(previous?.tags ?? {})]);
        const observed = await observeTable(ddb, desired.name, tagKeys, ctx.signal);
        if (previous && !observed) ctx.log.warn(`Table ${previous.name} is gone from AWS (deleted outside Hangar); creating it again, empty`);
        const plan = planTable(desired, observed ?? undefined, { replace: ctx.replace === true });
        if (plan.operations.length === 0) ctx.log.info(`No changes: table ${desired.name} is up to date`);
        const table = await applyTablePlan(plan, observed ?? undefined, applyDeps(ctx, ddb));
        if (!table) throw new Error('apply finished without a table');
        return result(table);
      });
    },

    async remove(ctx: ComponentContext): Promise<void> {
      const previous = readState(ctx.state).table;
      const name = previous?.name ?? tableName(ctx.instance);
      await withClient(ctx, async (ddb) => {
        const observed = await observeTable(ddb, name, new Set(), ctx.signal);
        const plan = planTable(null, observed ?? undefined);
        await applyTablePlan(plan, observed ?? undefined, applyDeps(ctx, ddb));
        ctx.log.info(plan.operations.length ? `Removed table ${name}` : 'Nothing to remove');
      });
    },
  };
}

function desiredSpec(inputs: TableInputs, instance: InstanceRef, previous: KnownTable | undefined): TableSpec {
  return {
    // Once created, the table keeps the name its state records.
    name: previous?.name ?? tableName(instance),
    partitionKey: inputs.partitionKey,
    ...(inputs.sortKey ? { sortKey: inputs.sortKey } : {}),
    indexes: inputs.globalSecondaryIndexes.map((g) => ({ name: g.name, partitionKey: g.partitionKey, ...(g.sortKey ? { sortKey: g.sortKey } : {}), projection: g.projection })),
    ...(inputs.ttlAttribute ? { ttlAttribute: inputs.ttlAttribute } : {}),
    billing: inputs.billing,
    deletionProtection: inputs.deletionProtection,
    tags: { ...inputs.tags, ...instanceTags(instance) },
  };
}

function result(table: KnownTable): DeployResult {
  return { outputs: { name: table.name, arn: table.arn }, state: { table } satisfies TableState as Record<string, unknown> };
}

function readState(raw: Readonly<Record<string, unknown>>): TableState {
  const parsed = tableStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HangarError('INTERNAL', `The stored state of this table instance is not in the expected shape: ${parsed.error.issues[0]?.message ?? 'unknown'}.`);
  }
  return parsed.data;
}

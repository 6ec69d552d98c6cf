/**
 * Table operations: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, tags and
 * time to live, with AWS's validation messages.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../internal/contract.js';
import {
  hashKey, notFound, rangeKey, tableArn, tableKey,
  type AttributeDefinition, type IndexModel, type KeyElement, type Projection, type TableModel, type Throughput,
} from './model.js';
import type { OpContext } from './ops.js';
import { itemSize, validation } from './values.js';

/** How long a new table (or index) stays CREATING on the server clock. */
export const CREATING_MS = 100;

/** DynamoDB accepts one UpdateTimeToLive per table in this interval. */
export const TTL_CHANGE_INTERVAL_MS = 60 * 60 * 1000;

type Input = Record<string, unknown>;

function str(input: Input, field: string, param: string): string {
  const v = input[field];
  if (typeof v !== 'string') throw validation(`1 validation error detected: Value null at '${param}' failed to satisfy constraint: Member must not be null`);
  return v;
}

export function checkTableName(name: unknown, param = 'tableName'): string {
  if (typeof name !== 'string') throw validation(`1 validation error detected: Value null at '${param}' failed to satisfy constraint: Member must not be null`);
  if (name.length < 3) throw validation(`1 validation error detected: Value '${name}' at '${param}' failed to satisfy constraint: Member must have length greater than or equal to 3`);
  if (name.length > 255) throw validation(`1 validation error detected: Value '${name}' at '${param}' failed to satisfy constraint: Member must have length less than or equal to 255`);
  if (!/^[a-zA-Z0-9_.-]+$/.test(name)) throw validation(`1 validation error detected: Value '${name}' at '${param}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  return name;
}

function checkKeySchema(raw: unknown, what: string): KeyElement[] {
  if (!Array.isArray(raw) || raw.length === 0) throw validation(`1 validation error detected: Value null at '${what}' failed to satisfy constraint: Member must not be null`);
  if (raw.length > 2) throw validation(`1 validation error detected: Value '${JSON.stringify(raw)}' at '${what}' failed to satisfy constraint: Member must have length less than or equal to 2`);
  const ks = raw as KeyElement[];
  if (ks[0]?.KeyType !== 'HASH') throw validation('Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
  if (ks.length === 2 && ks[1]?.KeyType !== 'RANGE') throw validation('Invalid KeySchema: The second KeySchemaElement is not a RANGE key type');
  if (ks.length === 2 && ks[0].AttributeName === ks[1]?.AttributeName) throw validation('Both the Hash Key and the Range Key element in the KeySchema have the same name');
  return ks.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType }));
}

function checkThroughput(billing: string, raw: unknown, what: string): Throughput | undefined {
  if (billing === 'PAY_PER_REQUEST') {
    if (raw !== undefined) throw validation(`One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST`);
    return undefined;
  }
  const t = raw as Partial<Throughput> | undefined;
  if (!t || typeof t.ReadCapacityUnits !== 'number' || typeof t.WriteCapacityUnits !== 'number') {
    throw validation(`One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED`);
  }
  if (t.ReadCapacityUnits < 1 || t.WriteCapacityUnits < 1) throw validation(`One or more parameter values were invalid: ${what} read and write capacity units must be greater than 0`);
  return { ReadCapacityUnits: t.ReadCapacityUnits, WriteCapacityUnits: t.WriteCapacityUnits };
}

function checkProjection(raw: unknown): Projection {
  const p = raw as Projection | undefined;
  if (!p || !['ALL', 'KEYS_ONLY', 'INCLUDE'].includes(p.ProjectionType)) {
    throw validation('One or more parameter values were invalid: Unknown ProjectionType: ' + String(p?.ProjectionType));
  }
  if (p.ProjectionType !== 'INCLUDE' && p.NonKeyAttributes) throw validation(`One or more parameter values were invalid: ProjectionType is ${p.ProjectionType}, but NonKeyAttributes is specified`);
  return { ProjectionType: p.ProjectionType, ...(p.NonKeyAttributes ? { NonKeyAttributes: [...p.NonKeyAttributes] } : {}) };
}

function checkIndexName(name: unknown): string {
  if (typeof name !== 'string' || name.length < 3 || name.length > 255 || !/^[a-zA-Z0-9_.-]+$/.test(name)) {
    throw validation(`1 validation error detected: Value '${String(name)}' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+`);
  }
  return name;
}

function gsiFrom(raw: Input, billing: string, now: number, delay: number): IndexModel {
  return {
    name: checkIndexName(raw.IndexName),
    keySchema: checkKeySchema(raw.KeySchema, 'globalSecondaryIndexes.keySchema'),
    projection: checkProjection(raw.Projection),
    throughput: checkThroughput(billing, raw.ProvisionedThroughput, `IndexName: ${String(raw.IndexName)},`),
    activeAt: now + delay,
  };
}

function tags(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of (raw ?? []) as { Key: string; Value: string }[]) out[t.Key] = t.Value;
  return out;
}

function checkDefinitions(defs: AttributeDefinition[], used: Set<string>): void {
  const names = defs.map((d) => d.AttributeName);
  const missing = [...used].filter((u) => !names.includes(u));
  if (missing.length > 0) {
    throw validation(`One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(', ')}], AttributeDefinitions: [${names.join(', ')}]`);
  }
  if (names.length !== used.size) {
    throw validation('One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions');
  }
}

/** The table, or ResourceNotFoundException: table operations name the table, item operations do not (as AWS). */
export function getTable(ctx: OpContext, name: unknown, detailed = true): TableModel {
  const n = typeof name === 'string' && name.startsWith('arn:') ? name.split('/')[1] : name;
  const t = ctx.state.tables[tableKey(ctx.accountId, ctx.region, checkTableName(n))];
  if (!t) throw notFound(detailed ? `Requested resource not found: Table: ${String(n)} not found` : 'Requested resource not found');
  return t;
}

function status(ctx: OpContext, t: TableModel): string {
  if (ctx.now < t.activeAt) return 'CREATING';
  if (t.gsis.some((g) => ctx.now < g.activeAt)) return 'UPDATING';
  return 'ACTIVE';
}

export function isActive(ctx: OpContext, t: TableModel): boolean {
  return ctx.now >= t.activeAt;
}

function throughputOut(t?: Throughput): Record<string, unknown> {
  return { NumberOfDecreasesToday: 0, ReadCapacityUnits: t?.ReadCapacityUnits ?? 0, WriteCapacityUnits: t?.WriteCapacityUnits ?? 0 };
}

export function describe(ctx: OpContext, t: TableModel, statusOverride?: string): Record<string, unknown> {
  const arn = tableArn(t);
  const items = Object.values(t.items);
  const indexItems = (ix: IndexModel): number => items.filter((i) => ix.keySchema.every((k) => i[k.AttributeName] !== undefined)).length;
  return {
    TableName: t.name,
    TableArn: arn,
    TableId: t.id,
    TableStatus: statusOverride ?? status(ctx, t),
    CreationDateTime: t.created / 1000,
    KeySchema: t.keySchema,
    AttributeDefinitions: t.attributeDefinitions,
    ItemCount: items.length,
    TableSizeBytes: items.reduce((a, i) => a + itemSize(i), 0),
    ProvisionedThroughput: throughputOut(t.throughput),
    ...(t.billingMode === 'PAY_PER_REQUEST' ? { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: (t.lastPayPerRequest ?? t.created) / 1000 } } : {}),
    ...(t.gsis.length > 0 ? {
      GlobalSecondaryIndexes: t.gsis.map((g) => ({
        IndexName: g.name, KeySchema: g.keySchema, Projection: g.projection,
        IndexStatus: ctx.now < g.activeAt ? 'CREATING' : 'ACTIVE', ...(ctx.now < g.activeAt ? { Backfilling: false } : {}),
        ProvisionedThroughput: throughputOut(g.throughput), IndexSizeBytes: 0, ItemCount: indexItems(g), IndexArn: `${arn}/index/${g.name}`,
      })),
    } : {}),
    ...(t.lsis.length > 0 ? {
      LocalSecondaryIndexes: t.lsis.map((l) => ({
        IndexName: l.name, KeySchema: l.keySchema, Projection: l.projection, IndexSizeBytes: 0, ItemCount: indexItems(l), IndexArn: `${arn}/index/${l.name}`,
      })),
    } : {}),
    ...(t.stream ? { StreamSpecification: t.stream } : {}),
    ...(t.stream?.StreamEnabled && t.streamLabel ? { LatestStreamLabel: t.streamLabel, LatestStreamArn: `${arn}/stream/${t.streamLabel}` } : {}),
    ...(t.tableClass ? { TableClassSummary: { TableClass: t.tableClass } } : {}),
    DeletionProtectionEnabled: t.deletionProtection,
  };
}

export function createTable(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:CreateTable', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  const keySchema = checkKeySchema(input.KeySchema, 'keySchema');
  const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
  if (!Array.isArray(defs) || defs.length === 0) throw validation("1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null");
  for (const d of defs) {
    if (!['S', 'N', 'B'].includes(d.AttributeType)) {
      throw validation(`1 validation error detected: Value '${String(d.AttributeType)}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`);
    }
  }
  if (new Set(defs.map((d) => d.AttributeName)).size !== defs.length) throw validation('Cannot have two attributes with the same name');
  const billing = (input.BillingMode as string | undefined) ?? 'PROVISIONED';
  if (billing !== 'PROVISIONED' && billing !== 'PAY_PER_REQUEST') {
    throw validation(`1 validation error detected: Value '${billing}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`);
  }
  const throughput = checkThroughput(billing, input.ProvisionedThroughput, 'Table');
  const used = new Set(keySchema.map((k) => k.AttributeName));
  const gsis = ((input.GlobalSecondaryIndexes ?? []) as Input[]).map((g) => gsiFrom(g, billing, ctx.now, CREATING_MS));
  const lsis = ((input.LocalSecondaryIndexes ?? []) as Input[]).map((l): IndexModel => {
    const ks = checkKeySchema(l.KeySchema, 'localSecondaryIndexes.keySchema');
    if (!rangeKey(keySchema)) throw validation('One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
    if (hashKey(ks) !== hashKey(keySchema) || ks.length !== 2) {
      throw validation(`One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: ${String(l.IndexName)}. index hash key: ${hashKey(ks)}, table hash key: ${hashKey(keySchema)}`);
    }
    return { name: checkIndexName(l.IndexName), keySchema: ks, projection: checkProjection(l.Projection), activeAt: ctx.now };
  });
  if (gsis.length > 20) throw validation('One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20');
  if (lsis.length > 5) throw validation('One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5');
  const names = [...gsis, ...lsis].map((i) => i.name);
  if (new Set(names).size !== names.length) throw validation(`One or more parameter values were invalid: Duplicate index name: ${names.find((n, i) => names.indexOf(n) !== i) ?? ''}`);
  for (const ix of [...gsis, ...lsis]) for (const k of ix.keySchema) used.add(k.AttributeName);
  checkDefinitions(defs, used);
  const key = tableKey(ctx.accountId, ctx.region, name);
  if (ctx.state.tables[key]) throw new AwsError('ResourceInUseException', `Table already exists: ${name}`);
  const stream = input.StreamSpecification as { StreamEnabled: boolean; StreamViewType?: string } | undefined;
  if (stream?.StreamEnabled && !stream.StreamViewType) throw validation('One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true');
  const t: TableModel = {
    name, accountId: ctx.accountId, region: ctx.region, id: randomUUID(), created: ctx.now, activeAt: ctx.now + CREATING_MS,
    keySchema, attributeDefinitions: defs.map((d) => ({ AttributeName: d.AttributeName, AttributeType: d.AttributeType })),
    billingMode: billing, throughput, gsis, lsis,
    ...(stream ? { stream: { StreamEnabled: stream.StreamEnabled, ...(stream.StreamViewType ? { StreamViewType: stream.StreamViewType } : {}) }, streamLabel: new Date(ctx.now).toISOString().replace('Z', '') } : {}),
    deletionProtection: input.DeletionProtectionEnabled === true,
    tags: tags(input.Tags),
    ...(typeof input.TableClass === 'string' ? { tableClass: input.TableClass } : {}),
    items: {},
  };
  ctx.state.tables[key] = t;
  ctx.changed();
  return { TableDescription: describe(ctx, t) };
}

export function describeTable(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:DescribeTable', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  return { Table: describe(ctx, getTable(ctx, name)) };
}

export function listTables(ctx: OpContext, input: Input): unknown {
  ctx.authorize('dynamodb:ListTables', '*');
  const limit = input.Limit === undefined ? 100 : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
  }
  const start = input.ExclusiveStartTableName as string | undefined;
  const prefix = `${ctx.accountId}/${ctx.region}/`;
  const names = Object.keys(ctx.state.tables).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort()
    .filter((n) => start === undefined || n > start);
  const page = names.slice(0, limit);
  return { TableNames: page, ...(names.length > limit ? { LastEvaluatedTableName: page[page.length - 1] } : {}) };
}

export function deleteTable(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:DeleteTable', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  const t = getTable(ctx, name);
  if (t.deletionProtection) throw validation('Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.');
  if (!isActive(ctx, t)) throw new AwsError('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being created: ${name}`);
  const out = describe(ctx, t, 'DELETING');
  delete ctx.state.tables[tableKey(ctx.accountId, ctx.region, name)];
  ctx.changed();
  return { TableDescription: out };
}

export function updateTable(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:UpdateTable', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  const t = getTable(ctx, name);
  if (status(ctx, t) !== 'ACTIVE') throw new AwsError('ResourceInUseException', `Attempt to change a resource which is still in use: Table is being updated: ${name}`);
  const defs = (input.AttributeDefinitions ?? []) as AttributeDefinition[];
  let billing = t.billingMode;
  if (input.BillingMode !== undefined) {
    if (input.BillingMode !== 'PROVISIONED' && input.BillingMode !== 'PAY_PER_REQUEST') throw validation(`1 validation error detected: Value '${String(input.BillingMode)}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`);
    billing = input.BillingMode;
  }
  const next: Partial<TableModel> = {};
  if (input.BillingMode !== undefined || input.ProvisionedThroughput !== undefined) {
    next.billingMode = billing;
    next.throughput = checkThroughput(billing, input.ProvisionedThroughput, 'Table');
    if (billing === 'PAY_PER_REQUEST' && t.billingMode !== 'PAY_PER_REQUEST') next.lastPayPerRequest = ctx.now;
  }
  const gsis = [...t.gsis];
  const updates = (input.GlobalSecondaryIndexUpdates ?? []) as Input[];
  // One index created or deleted per call, as DynamoDB; throughput updates of several indexes may go together.
  if (updates.filter((u) => u.Create || u.Delete).length > 1) throw validation('One or more parameter values were invalid: Only 1 online index operation can be performed at a time');
  for (const u of updates) {
    if (u.Create) {
      const g = gsiFrom(u.Create as Input, billing, ctx.now, CREATING_MS);
      if (gsis.some((x) => x.name === g.name) || t.lsis.some((x) => x.name === g.name)) throw validation(`One or more parameter values were invalid: Index with name ${g.name} already exists`);
      const known = [...t.attributeDefinitions, ...defs];
      const missing = g.keySchema.filter((k) => !known.some((d) => d.AttributeName === k.AttributeName)).map((k) => k.AttributeName);
      if (missing.length > 0) throw validation(`One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${missing.join(', ')}], AttributeDefinitions: [${known.map((d) => d.AttributeName).join(', ')}]`);
      gsis.push(g);
    } else if (u.Delete) {
      const n = (u.Delete as Input).IndexName as string;
      const i = gsis.findIndex((x) => x.name === n);
      if (i < 0) throw notFound(`Requested resource not found: Index: ${n} not found`);
      gsis.splice(i, 1);
    } else if (u.Update) {
      const up = u.Update as Input;
      const g = gsis.find((x) => x.name === up.IndexName);
      if (!g) throw notFound(`Requested resource not found: Index: ${String(up.IndexName)} not found`);
      const i = gsis.indexOf(g);
      gsis[i] = { ...g, throughput: checkThroughput(billing, up.ProvisionedThroughput, `IndexName: ${g.name},`) };
    }
  }
  if (input.DeletionProtectionEnabled !== undefined) next.deletionProtection = input.DeletionProtectionEnabled === true;
  if (input.StreamSpecification !== undefined) {
    const s = input.StreamSpecification as { StreamEnabled: boolean; StreamViewType?: string };
    next.stream = { StreamEnabled: s.StreamEnabled, ...(s.StreamViewType ? { StreamViewType: s.StreamViewType } : {}) };
    next.streamLabel = new Date(ctx.now).toISOString().replace('Z', '');
  }
  // Billing switch for every GSI too.
  const mergedDefs = [...t.attributeDefinitions];
  for (const d of defs) if (!mergedDefs.some((x) => x.AttributeName === d.AttributeName)) mergedDefs.push({ AttributeName: d.AttributeName, AttributeType: d.AttributeType });
  const used = new Set([...t.keySchema, ...gsis.flatMap((g) => g.keySchema), ...t.lsis.flatMap((l) => l.keySchema)].map((k) => k.AttributeName));
  Object.assign(t, next, {
    gsis: gsis.map((g) => (next.billingMode === 'PAY_PER_REQUEST' ? { ...g, throughput: undefined } : g)),
    attributeDefinitions: mergedDefs.filter((d) => used.has(d.AttributeName)),
  });
  ctx.changed();
  return { TableDescription: describe(ctx, t, updates.length > 0 || input.BillingMode !== undefined ? 'UPDATING' : undefined) };
}

function resourceTable(ctx: OpContext, arn: unknown): TableModel {
  if (typeof arn !== 'string') throw validation("1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null");
  const m = /^arn:aws:dynamodb:([^:]+):(\d{12}):table\/([^/]+)$/.exec(arn);
  if (!m) throw validation(`Invalid TableArn: Invalid ResourceArn provided as input ${arn}`);
  const t = ctx.state.tables[tableKey(m[2] as string, m[1] as string, m[3] as string)];
  if (!t || m[2] !== ctx.accountId) throw new AwsError('ResourceNotFoundException', `Requested resource not found: ResourcArn: ${arn} not found`);
  return t;
}

export function tagResource(ctx: OpContext, input: Input): unknown {
  ctx.authorize('dynamodb:TagResource', str(input, 'ResourceArn', 'resourceArn'));
  const t = resourceTable(ctx, input.ResourceArn);
  const add = tags(input.Tags);
  if (Object.keys({ ...t.tags, ...add }).length > 50) throw validation('One or more parameter values were invalid: The number of tags exceeds the limit of 50');
  for (const k of Object.keys(add)) if (k.startsWith('aws:')) throw validation(`One or more parameter values were invalid: Tag keys starting with "aws:" are reserved for system use`);
  Object.assign(t.tags, add);
  ctx.changed();
  return {};
}

export function untagResource(ctx: OpContext, input: Input): unknown {
  ctx.authorize('dynamodb:UntagResource', str(input, 'ResourceArn', 'resourceArn'));
  const t = resourceTable(ctx, input.ResourceArn);
  for (const k of (input.TagKeys ?? []) as string[]) delete t.tags[k];
  ctx.changed();
  return {};
}

export function listTagsOfResource(ctx: OpContext, input: Input): unknown {
  ctx.authorize('dynamodb:ListTagsOfResource', str(input, 'ResourceArn', 'resourceArn'));
  const t = resourceTable(ctx, input.ResourceArn);
  return { Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })) };
}

export function updateTimeToLive(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:UpdateTimeToLive', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  const t = getTable(ctx, name);
  const spec = input.TimeToLiveSpecification as { Enabled?: boolean; AttributeName?: string } | undefined;
  if (!spec || typeof spec.Enabled !== 'boolean' || typeof spec.AttributeName !== 'string' || spec.AttributeName === '') {
    throw validation("1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
  }
  if (spec.Enabled && t.ttl?.enabled) throw validation('TimeToLive is already enabled');
  if (!spec.Enabled && !t.ttl?.enabled) throw validation('TimeToLive is already disabled');
  if (!spec.Enabled && t.ttl && t.ttl.attribute !== spec.AttributeName) throw validation('The attribute name provided does not match the one currently enabled');
  // As DynamoDB: a change takes up to an hour to process, and another within that hour is refused.
  if (t.ttl?.changedAt !== undefined && ctx.now - t.ttl.changedAt < TTL_CHANGE_INTERVAL_MS) throw validation('Time to live has been modified multiple times within a fixed interval');
  t.ttl = { attribute: spec.AttributeName, enabled: spec.Enabled, changedAt: ctx.now };
  ctx.changed();
  return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
}

export function describeTimeToLive(ctx: OpContext, input: Input): unknown {
  const name = checkTableName(input.TableName);
  ctx.authorize('dynamodb:DescribeTimeToLive', tableArn({ accountId: ctx.accountId, region: ctx.region, name }));
  const t = getTable(ctx, name);
  if (!t.ttl?.enabled) return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
  return { TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: t.ttl.attribute } };
}

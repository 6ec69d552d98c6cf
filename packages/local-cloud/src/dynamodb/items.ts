/**
 * Item operations: PutItem, GetItem, DeleteItem, UpdateItem, Query, Scan, the batch and
 * transaction operations, with DynamoDB's expressions, limits and messages.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../internal/contract.js';
import {
  applyUpdate, evaluate, ExpressionContext, parseCondition, parseProjection, parseUpdate, project, topLevelNames,
  type Condition, type Operand, type Path,
} from './expressions.js';
import {
  DynamoError, hashKey, keyOf, keyString, notFound, rangeKey, tableArn, tableKey,
  type IndexModel, type KeyElement, type TableModel,
} from './model.js';
import type { OpContext } from './ops.js';
import { getTable, isActive } from './tables.js';
import {
  checkItem, checkValue, clone, compare, equals, itemSize, MAX_ITEM_BYTES, numberValue, compareDecimal, typeOf, validation,
  type AttributeValue, type Item,
} from './values.js';

type Input = Record<string, unknown>;

const PAGE_BYTES = 1024 * 1024;

/** A table that can serve item operations: exists and is not CREATING. */
function activeTable(ctx: OpContext, name: unknown): TableModel {
  const t = getTable(ctx, name, false);
  if (!isActive(ctx, t)) throw notFound('Requested resource not found');
  return t;
}

function rejectLegacy(input: Input, ...fields: string[]): void {
  for (const f of fields) {
    if (input[f] !== undefined) throw validation(`${f} is a legacy parameter this local cloud does not support; use the expression parameters instead`);
  }
}

const EXPRESSIONS = ['ConditionExpression', 'UpdateExpression', 'ProjectionExpression', 'KeyConditionExpression', 'FilterExpression'];

export function contextOf(input: Input): ExpressionContext {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const rawValues = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  if (!EXPRESSIONS.some((e) => input[e] !== undefined)) {
    if (input.ExpressionAttributeNames !== undefined) throw validation('ExpressionAttributeNames can only be specified when using expressions');
    if (input.ExpressionAttributeValues !== undefined) throw validation('ExpressionAttributeValues can only be specified when using expressions');
  }
  if (input.ExpressionAttributeValues !== undefined && Object.keys(rawValues).length === 0) throw validation('ExpressionAttributeValues must not be empty');
  if (input.ExpressionAttributeNames !== undefined && Object.keys(names).length === 0) throw validation('ExpressionAttributeNames must not be empty');
  const values: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(rawValues)) {
    try {
      values[k] = checkValue(v);
    } catch (e) {
      if (e instanceof AwsError) throw validation(`ExpressionAttributeValues contains invalid value: ${e.message} for key ${k}`);
      throw e;
    }
  }
  return new ExpressionContext(names, values);
}

/** Removes an item whose TTL attribute is in the past (lazily, when something reads it). */
function expired(ctx: OpContext, t: TableModel, item: Item): boolean {
  if (!t.ttl?.enabled) return false;
  const v = item[t.ttl.attribute];
  if (!v || !('N' in v)) return false;
  if (compareDecimal(numberValue(v.N), numberValue(String(ctx.now / 1000))) >= 0) return false;
  // DynamoDB ignores TTL values more than five years in the past.
  if (Number(v.N) < ctx.now / 1000 - 5 * 365 * 24 * 3600) return false;
  return true;
}

function readItem(ctx: OpContext, t: TableModel, k: string): Item | undefined {
  const item = t.items[k];
  if (item && expired(ctx, t, item)) {
    delete t.items[k];
    ctx.changed();
    return undefined;
  }
  return item;
}

function liveItems(ctx: OpContext, t: TableModel): [string, Item][] {
  return Object.keys(t.items).map((k) => [k, readItem(ctx, t, k)] as [string, Item | undefined]).filter((e): e is [string, Item] => e[1] !== undefined);
}

function definedType(t: TableModel, name: string): string {
  return t.attributeDefinitions.find((d) => d.AttributeName === name)?.AttributeType ?? 'S';
}

/** Validates a Key parameter against the table's schema ("The provided key element does not match the schema"). */
function checkKey(t: TableModel, raw: unknown): Item {
  const key = checkItem(raw, 'key');
  const names = Object.keys(key);
  if (names.length !== t.keySchema.length || !t.keySchema.every((k) => key[k.AttributeName] !== undefined)) {
    throw validation('The provided key element does not match the schema');
  }
  for (const k of t.keySchema) {
    const v = key[k.AttributeName] as AttributeValue;
    if (typeOf(v) !== definedType(t, k.AttributeName)) throw validation('The provided key element does not match the schema');
    if (('S' in v && v.S === '') || ('B' in v && v.B === '')) {
      throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in v ? 'string' : 'binary'} value. Key: ${k.AttributeName}`);
    }
  }
  return key;
}

/** Validates an item to write: table keys present with their types, index keys typed, size. */
function checkWriteItem(t: TableModel, raw: unknown): Item {
  const item = checkItem(raw);
  for (const k of t.keySchema) {
    const v = item[k.AttributeName];
    if (v === undefined) throw validation(`One or more parameter values were invalid: Missing the key ${k.AttributeName} in the item`);
    const want = definedType(t, k.AttributeName);
    if (typeOf(v) !== want) throw validation(`One or more parameter values were invalid: Type mismatch for key ${k.AttributeName} expected: ${want} actual: ${typeOf(v)}`);
    if (('S' in v && v.S === '') || ('B' in v && v.B === '')) {
      throw validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${'S' in v ? 'string' : 'binary'} value. Key: ${k.AttributeName}`);
    }
  }
  checkIndexKeys(t, item);
  if (itemSize(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
  return item;
}

function checkIndexKeys(t: TableModel, item: Item): void {
  for (const ix of [...t.gsis, ...t.lsis]) {
    for (const k of ix.keySchema) {
      const v = item[k.AttributeName];
      if (v === undefined) continue;
      const want = definedType(t, k.AttributeName);
      if (typeOf(v) !== want) {
        throw validation(`One or more parameter values were invalid: Type mismatch for Index Key ${k.AttributeName} Expected: ${want} Actual: ${typeOf(v)} IndexName: ${ix.name}`);
      }
      if (('S' in v && v.S === '') || ('B' in v && v.B === '')) {
        throw validation(`One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${'S' in v ? 'string' : 'binary'} value. IndexName: ${ix.name}, IndexKey: ${k.AttributeName}`);
      }
    }
  }
}

function condition(ctx: ExpressionContext, input: Input, field: 'ConditionExpression' | 'FilterExpression'): Condition | undefined {
  const text = input[field];
  if (text === undefined) return undefined;
  if (typeof text !== 'string') throw validation(`${field} must be a string`);
  return parseCondition(text, field, ctx);
}

function projection(ctx: ExpressionContext, input: Input): Path[] | undefined {
  const text = input.ProjectionExpression;
  if (text === undefined) return undefined;
  return parseProjection(String(text), ctx);
}

function returnValues(input: Input, allowed: string[]): string {
  const r = (input.ReturnValues as string | undefined) ?? 'NONE';
  if (!allowed.includes(r)) throw validation('Return values set to invalid value');
  return r;
}

function onFailure(input: Input): boolean {
  const r = (input.ReturnValuesOnConditionCheckFailure as string | undefined) ?? 'NONE';
  if (r !== 'NONE' && r !== 'ALL_OLD') {
    throw validation(`1 validation error detected: Value '${r}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`);
  }
  return r === 'ALL_OLD';
}

function conditionFailed(old: Item | undefined, withItem: boolean): DynamoError {
  return new DynamoError('ConditionalCheckFailedException', 'The conditional request failed', withItem && old ? { Item: old } : {});
}

/** The table if it exists (no error): authorisation comes before "not found", as on AWS. */
function quietTable(ctx: OpContext, name: unknown): TableModel | undefined {
  return typeof name === 'string' ? ctx.state.tables[tableKey(ctx.accountId, ctx.region, name)] : undefined;
}

function scalarText(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  for (const t of ['S', 'N', 'B']) if (typeof o[t] === 'string') return o[t] as string;
  return undefined;
}

/** `dynamodb:LeadingKeys`: the partition-key values a request touches (fine-grained access control). */
function leadingKeys(ctx: OpContext, name: unknown, rawItems: unknown[], schema?: KeyElement[]): Record<string, string[]> | undefined {
  const t = quietTable(ctx, name);
  if (!t) return undefined;
  const hk = hashKey(schema ?? t.keySchema);
  const values = rawItems.map((r) => (r !== null && typeof r === 'object' ? scalarText((r as Record<string, unknown>)[hk]) : undefined))
    .filter((v): v is string => v !== undefined);
  return { 'dynamodb:LeadingKeys': [...new Set(values)] };
}

function tableResource(ctx: OpContext, name: unknown): string {
  const n = typeof name === 'string' ? name : '';
  return tableArn({ accountId: ctx.accountId, region: ctx.region, name: n });
}

/** A prepared single-item write (Put, Delete, Update or condition check), checked but not applied. */
interface Write {
  table: TableModel;
  key: string;
  old: Item | undefined;
  next: Item | undefined | 'unchanged';
  failed: boolean;
  returnOnFailure: boolean;
  update?: ReturnType<typeof parseUpdate>;
}

/**
 * A Put or a Delete, checked and evaluated but not applied: `given` is the item (Put) or the key
 * (Delete), validated by `check`; the condition is evaluated against the stored item.
 */
function prepareKeyedWrite(ctx: OpContext, input: Input, action: string, given: unknown, check: (t: TableModel, raw: unknown) => Item, writes: boolean): Write {
  ctx.authorize(action, tableResource(ctx, input.TableName), leadingKeys(ctx, input.TableName, [given]));
  rejectLegacy(input, 'Expected', 'ConditionalOperator');
  const t = activeTable(ctx, input.TableName);
  const checked = check(t, given);
  const ex = contextOf(input);
  const cond = condition(ex, input, 'ConditionExpression');
  ex.checkAllUsed();
  const k = keyString(t.keySchema, checked);
  const old = readItem(ctx, t, k);
  const failed = cond !== undefined && !evaluate(cond, old);
  return { table: t, key: k, old, next: writes ? checked : undefined, failed, returnOnFailure: onFailure(input) };
}

function preparePut(ctx: OpContext, input: Input, action = 'dynamodb:PutItem'): Write {
  return prepareKeyedWrite(ctx, input, action, input.Item, checkWriteItem, true);
}

function prepareDelete(ctx: OpContext, input: Input, action = 'dynamodb:DeleteItem'): Write {
  return prepareKeyedWrite(ctx, input, action, input.Key, checkKey, false);
}

function prepareCheck(ctx: OpContext, input: Input): Write {
  ctx.authorize('dynamodb:ConditionCheckItem', tableResource(ctx, input.TableName), leadingKeys(ctx, input.TableName, [input.Key]));
  const t = activeTable(ctx, input.TableName);
  const key = checkKey(t, input.Key);
  const ex = contextOf(input);
  if (typeof input.ConditionExpression !== 'string') throw validation("1 validation error detected: Value null at 'conditionExpression' failed to satisfy constraint: Member must not be null");
  const cond = parseCondition(input.ConditionExpression, 'ConditionExpression', ex);
  ex.checkAllUsed();
  const k = keyString(t.keySchema, key);
  const old = readItem(ctx, t, k);
  return { table: t, key: k, old, next: 'unchanged', failed: !evaluate(cond, old), returnOnFailure: onFailure(input) };
}

function prepareUpdate(ctx: OpContext, input: Input, action = 'dynamodb:UpdateItem'): Write {
  ctx.authorize(action, tableResource(ctx, input.TableName), leadingKeys(ctx, input.TableName, [input.Key]));
  rejectLegacy(input, 'Expected', 'ConditionalOperator', 'AttributeUpdates');
  const t = activeTable(ctx, input.TableName);
  const key = checkKey(t, input.Key);
  const ex = contextOf(input);
  const update = input.UpdateExpression === undefined ? undefined : parseUpdate(String(input.UpdateExpression), ex);
  const cond = condition(ex, input, 'ConditionExpression');
  ex.checkAllUsed();
  const k = keyString(t.keySchema, key);
  const old = readItem(ctx, t, k);
  const failed = cond !== undefined && !evaluate(cond, old);
  if (failed) return { table: t, key: k, old, next: 'unchanged', failed, returnOnFailure: onFailure(input) };
  let next: Item = clone(old ?? key);
  if (update) {
    for (const n of topLevelNames(update)) {
      if (t.keySchema.some((ks) => ks.AttributeName === n)) throw validation(`One or more parameter values were invalid: Cannot update attribute ${n}. This attribute is part of the key`);
    }
    next = applyUpdate(old ?? key, update);
    checkIndexKeys(t, next);
    if (itemSize(next) > MAX_ITEM_BYTES) throw validation('Item size to update has exceeded the maximum allowed size');
  }
  return { table: t, key: k, old, next, failed, returnOnFailure: onFailure(input), update };
}

function commit(ctx: OpContext, w: Write): void {
  if (w.next === 'unchanged') return;
  if (w.next === undefined) delete w.table.items[w.key];
  else w.table.items[w.key] = w.next;
  ctx.changed();
}

function finish(ctx: OpContext, w: Write): void {
  if (w.failed) throw conditionFailed(w.old, w.returnOnFailure);
  commit(ctx, w);
}

export function putItem(ctx: OpContext, input: Input): unknown {
  const w = preparePut(ctx, input);
  const rv = returnValues(input, ['NONE', 'ALL_OLD']);
  finish(ctx, w);
  return rv === 'ALL_OLD' && w.old ? { Attributes: w.old } : {};
}

export function deleteItem(ctx: OpContext, input: Input): unknown {
  const w = prepareDelete(ctx, input);
  const rv = returnValues(input, ['NONE', 'ALL_OLD']);
  finish(ctx, w);
  return rv === 'ALL_OLD' && w.old ? { Attributes: w.old } : {};
}

export function updateItem(ctx: OpContext, input: Input): unknown {
  const rv = returnValues(input, ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']);
  const w = prepareUpdate(ctx, input);
  finish(ctx, w);
  const next = w.next as Item;
  switch (rv) {
    case 'ALL_OLD': return w.old ? { Attributes: w.old } : {};
    case 'ALL_NEW': return { Attributes: next };
    case 'UPDATED_OLD': case 'UPDATED_NEW': {
      // Only the updated document paths, nested ones included (`SET m.a = :v` gives {m: {a}}).
      const u = w.update;
      const paths = u ? [...u.set.map((x) => x.path), ...u.remove, ...u.add.map((x) => x.path), ...u.delete.map((x) => x.path)] : [];
      const out = project(rv === 'UPDATED_OLD' ? w.old ?? {} : next, paths);
      return Object.keys(out).length > 0 ? { Attributes: out } : {};
    }
    default: return {};
  }
}

export function getItem(ctx: OpContext, input: Input): unknown {
  ctx.authorize('dynamodb:GetItem', tableResource(ctx, input.TableName), leadingKeys(ctx, input.TableName, [input.Key]));
  rejectLegacy(input, 'AttributesToGet');
  const t = activeTable(ctx, input.TableName);
  const key = checkKey(t, input.Key);
  const ex = contextOf(input);
  const proj = projection(ex, input);
  ex.checkAllUsed();
  const item = readItem(ctx, t, keyString(t.keySchema, key));
  if (!item) return {};
  return { Item: proj ? project(item, proj) : item };
}

// ---------------------------------------------------------------- Query and Scan

interface Source {
  table: TableModel;
  index?: IndexModel;
  /** The key schema the source is ordered by. */
  schema: KeyElement[];
  global: boolean;
}

/** The partition-key value a Query names (for `dynamodb:LeadingKeys`), read without failing. */
function queryLeadingKeys(ctx: OpContext, input: Input): Record<string, string[]> | undefined {
  const t = quietTable(ctx, input.TableName);
  if (!t || typeof input.KeyConditionExpression !== 'string') return undefined;
  const ix = [...t.gsis, ...t.lsis].find((x) => x.name === input.IndexName);
  const hk = hashKey(ix ? ix.keySchema : t.keySchema);
  try {
    const ex = contextOf(input);
    const found: string[] = [];
    const walk = (c: Condition): void => {
      if (c.kind === 'and') { walk(c.left); walk(c.right); return; }
      if (c.kind !== 'cmp' || c.op !== '=') return;
      const [p, v] = c.left.kind === 'path' ? [c.left, c.right] : [c.right, c.left];
      if (p.kind === 'path' && p.path.length === 1 && (p.path[0] as { name: string }).name === hk && v.kind === 'value') {
        const text = scalarText(v.value);
        if (text !== undefined) found.push(text);
      }
    };
    walk(parseCondition(input.KeyConditionExpression, 'KeyConditionExpression', ex));
    return { 'dynamodb:LeadingKeys': found };
  } catch {
    return undefined;
  }
}

function sourceOf(ctx: OpContext, input: Input, action: string): Source {
  const name = input.TableName;
  const indexName = input.IndexName as string | undefined;
  ctx.authorize(action, indexName === undefined ? tableResource(ctx, name) : `${tableResource(ctx, name)}/index/${indexName}`,
    action === 'dynamodb:Query' ? queryLeadingKeys(ctx, input) : undefined);
  const t = activeTable(ctx, name);
  if (indexName === undefined) return { table: t, schema: t.keySchema, global: false };
  const g = t.gsis.find((x) => x.name === indexName);
  const l = t.lsis.find((x) => x.name === indexName);
  const ix = g ?? l;
  if (!ix) throw validation(`The table does not have the specified index: ${indexName}`);
  if (g && ctx.now < g.activeAt) throw validation(`Cannot read from backfilling global secondary index: ${indexName}`);
  if (g && input.ConsistentRead === true) throw validation('Consistent reads are not supported on global secondary indexes');
  return { table: t, index: ix, schema: ix.keySchema, global: g !== undefined };
}

/** Projects an item onto an index's attributes. */
function indexView(s: Source, item: Item): Item {
  if (!s.index || s.index.projection.ProjectionType === 'ALL') return item;
  const keep = new Set([...s.table.keySchema, ...s.index.keySchema].map((k) => k.AttributeName));
  for (const a of s.index.projection.NonKeyAttributes ?? []) keep.add(a);
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (keep.has(k)) out[k] = v;
  return out;
}

/** The key DynamoDB gives as LastEvaluatedKey: the table's key plus the index's. */
function lastKey(s: Source, item: Item): Item {
  return { ...keyOf(s.table.keySchema, item), ...(s.index ? keyOf(s.index.keySchema, item) : {}) };
}

function scanOrder(s: Source) {
  const hk = hashKey(s.schema);
  const rk = rangeKey(s.schema);
  const h = (i: Item): string => createHash('md5').update(JSON.stringify(i[hk])).digest('hex');
  return (a: Item, b: Item): number => {
    const x = h(a); const y = h(b);
    if (x !== y) return x < y ? -1 : 1;
    return rk ? compare(a[rk] as AttributeValue, b[rk] as AttributeValue) ?? 0 : 0;
  };
}

function tieBreak(s: Source, a: Item, b: Item): number {
  if (!s.index) return 0;
  const ka = keyString(s.table.keySchema, a); const kb = keyString(s.table.keySchema, b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

interface PageResult { items: Item[]; scanned: number; last?: Item }

function page(s: Source, ordered: Item[], start: Item | undefined, cmp: (a: Item, b: Item) => number, limit: number | undefined,
  filter: Condition | undefined): PageResult {
  let i = 0;
  if (start) {
    while (i < ordered.length && cmp(ordered[i] as Item, start) <= 0) i += 1;
  }
  const items: Item[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: Item | undefined;
  for (; i < ordered.length; i += 1) {
    const item = ordered[i] as Item;
    scanned += 1;
    bytes += itemSize(item);
    if (!filter || evaluate(filter, item, 'FilterExpression')) items.push(item);
    if ((limit !== undefined && scanned >= limit) || bytes >= PAGE_BYTES) {
      if (limit !== undefined && scanned >= limit || i < ordered.length - 1) last = lastKey(s, item);
      break;
    }
  }
  return { items, scanned, ...(last ? { last } : {}) };
}

function selectAndProject(s: Source, input: Input, proj: Path[] | undefined, r: PageResult): Record<string, unknown> {
  const select = (input.Select as string | undefined) ?? (proj ? 'SPECIFIC_ATTRIBUTES' : s.index ? 'ALL_PROJECTED_ATTRIBUTES' : 'ALL_ATTRIBUTES');
  if (!['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT'].includes(select)) {
    throw validation(`1 validation error detected: Value '${select}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]`);
  }
  if (proj && select !== 'SPECIFIC_ATTRIBUTES') throw validation('Cannot specify the ProjectionExpression when choosing to get ' + select);
  if (select === 'ALL_PROJECTED_ATTRIBUTES' && !s.index) throw validation('ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName');
  if (select === 'ALL_ATTRIBUTES' && s.global && s.index?.projection.ProjectionType !== 'ALL') {
    throw validation('One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ' + s.index?.name + ' because its projection type is not ALL');
  }
  const base = { Count: r.items.length, ScannedCount: r.scanned, ...(r.last ? { LastEvaluatedKey: r.last } : {}) };
  if (select === 'COUNT') return base;
  const view = (i: Item): Item => (select === 'ALL_ATTRIBUTES' ? i : indexView(s, i));
  return { Items: r.items.map((i) => (proj ? project(view(i), proj) : view(i))), ...base };
}

function limitOf(input: Input): number | undefined {
  if (input.Limit === undefined) return undefined;
  const n = Number(input.Limit);
  if (!Number.isInteger(n) || n < 1) throw validation(`1 validation error detected: Value '${String(input.Limit)}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1`);
  return n;
}

function startKey(s: Source, input: Input): Item | undefined {
  if (input.ExclusiveStartKey === undefined) return undefined;
  const k = checkItem(input.ExclusiveStartKey, 'exclusiveStartKey');
  const need = [...new Set([...s.table.keySchema, ...s.schema].map((x) => x.AttributeName))];
  if (Object.keys(k).length !== need.length || !need.every((n) => k[n] !== undefined)) throw validation('The provided starting key is invalid: The provided key element does not match the schema');
  return k;
}

interface KeyCond { hash: AttributeValue; range?: Condition }

function keyCondition(s: Source, text: string, ex: ExpressionContext): KeyCond {
  const c = parseCondition(text, 'KeyConditionExpression', ex);
  const parts: Condition[] = [];
  const flatten = (x: Condition): void => {
    if (x.kind === 'and') { flatten(x.left); flatten(x.right); return; }
    if (x.kind === 'or' || x.kind === 'not' || x.kind === 'in') throw validation(`Invalid operator used in KeyConditionExpression: ${x.kind.toUpperCase()}`);
    parts.push(x);
  };
  flatten(c);
  const hk = hashKey(s.schema);
  const rk = rangeKey(s.schema);
  const attrOf = (o: Operand | undefined): string | undefined => (o?.kind === 'path' && o.path.length === 1 ? (o.path[0] as { name: string }).name : undefined);
  let hash: AttributeValue | undefined;
  let range: Condition | undefined;
  if (parts.length > 2) throw validation('Conditions can be of length 1 or 2 only');
  for (const p of parts) {
    let attr: string | undefined;
    if (p.kind === 'cmp') attr = attrOf(p.left) ?? attrOf(p.right);
    else if (p.kind === 'between') attr = attrOf(p.subject);
    else if (p.kind === 'fn') {
      if (p.name !== 'begins_with') throw validation(`Invalid operator used in KeyConditionExpression: ${p.name}`);
      attr = attrOf(p.args[0]);
    }
    if (attr === undefined) throw validation('Invalid KeyConditionExpression: The expression can only contain key attributes');
    if (attr === hk) {
      if (p.kind !== 'cmp' || p.op !== '=') throw validation('Query key condition not supported');
      const v = p.left.kind === 'value' ? p.left.value : p.right.kind === 'value' ? p.right.value : undefined;
      if (!v) throw validation('Query key condition not supported');
      if (typeOf(v) !== definedType(s.table, hk)) throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
      hash = v;
    } else if (attr === rk) {
      if (range) throw validation('KeyConditionExpressions must only contain one condition per key');
      if (p.kind === 'cmp' && p.op === '<>') throw validation('Unsupported operator on KeyConditionExpression: operator: <>');
      const operands = p.kind === 'cmp' ? [p.left, p.right] : p.kind === 'between' ? [p.low, p.high] : p.kind === 'fn' ? p.args.slice(1) : [];
      for (const o of operands) {
        if (o.kind === 'value' && typeOf(o.value) !== definedType(s.table, rk)) throw validation('One or more parameter values were invalid: Condition parameter type does not match schema type');
      }
      range = p;
    } else {
      throw validation(`Query condition missed key schema element: ${hk}`);
    }
  }
  if (!hash) throw validation(`Query condition missed key schema element: ${hk}`);
  return { hash, ...(range ? { range } : {}) };
}

export function query(ctx: OpContext, input: Input): unknown {
  rejectLegacy(input, 'KeyConditions', 'QueryFilter', 'AttributesToGet', 'ConditionalOperator');
  const s = sourceOf(ctx, input, 'dynamodb:Query');
  const ex = contextOf(input);
  if (typeof input.KeyConditionExpression !== 'string') throw validation('Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.');
  const kc = keyCondition(s, input.KeyConditionExpression, ex);
  const filter = condition(ex, input, 'FilterExpression');
  const proj = projection(ex, input);
  ex.checkAllUsed();
  const hk = hashKey(s.schema);
  const rk = rangeKey(s.schema);
  const forward = input.ScanIndexForward !== false;
  const cmp = (a: Item, b: Item): number => {
    const r = rk ? compare(a[rk] as AttributeValue, b[rk] as AttributeValue) ?? 0 : 0;
    const x = r !== 0 ? r : tieBreak(s, a, b);
    return forward ? x : -x;
  };
  const matching = liveItems(ctx, s.table).map(([, i]) => i)
    .filter((i) => s.schema.every((k) => i[k.AttributeName] !== undefined))
    .filter((i) => equals(i[hk] as AttributeValue, kc.hash))
    .filter((i) => !kc.range || evaluate(kc.range, i, 'KeyConditionExpression'))
    .sort(cmp);
  const r = page(s, matching, startKey(s, input), cmp, limitOf(input), filter);
  return selectAndProject(s, input, proj, r);
}

export function scan(ctx: OpContext, input: Input): unknown {
  rejectLegacy(input, 'ScanFilter', 'AttributesToGet', 'ConditionalOperator');
  const s = sourceOf(ctx, input, 'dynamodb:Scan');
  const ex = contextOf(input);
  const filter = condition(ex, input, 'FilterExpression');
  const proj = projection(ex, input);
  ex.checkAllUsed();
  const segment = input.Segment as number | undefined;
  const total = input.TotalSegments as number | undefined;
  if ((segment === undefined) !== (total === undefined)) {
    throw validation(segment === undefined ? 'The TotalSegments parameter is specified, but the Segment parameter is not' : 'The Segment parameter is specified, but the TotalSegments parameter is not');
  }
  if (total !== undefined && (total < 1 || total > 1000000)) throw validation(`1 validation error detected: Value '${String(total)}' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000`);
  if (segment !== undefined && total !== undefined && (segment < 0 || segment >= total)) {
    throw validation(`The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: ${String(segment)} is not less than TotalSegments: ${String(total)}`);
  }
  const hk = hashKey(s.schema);
  const order = scanOrder(s);
  const cmp = (a: Item, b: Item): number => order(a, b) || tieBreak(s, a, b);
  const segmentOf = (i: Item): number => parseInt(createHash('md5').update(JSON.stringify(i[hk])).digest('hex').slice(0, 8), 16) % (total ?? 1);
  const all = liveItems(ctx, s.table).map(([, i]) => i)
    .filter((i) => s.schema.every((k) => i[k.AttributeName] !== undefined))
    .filter((i) => total === undefined || segmentOf(i) === segment)
    .sort(cmp);
  const r = page(s, all, startKey(s, input), cmp, limitOf(input), filter);
  return selectAndProject(s, input, proj, r);
}

// ---------------------------------------------------------------- batches

export function batchGetItem(ctx: OpContext, input: Input): unknown {
  const req = (input.RequestItems ?? {}) as Record<string, Input>;
  const tables = Object.keys(req);
  if (tables.length === 0) throw validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  const count = tables.reduce((a, n) => a + (((req[n] as Input).Keys ?? []) as unknown[]).length, 0);
  if (count > 100) throw validation('Too many items requested for the BatchGetItem call');
  const responses: Record<string, Item[]> = {};
  for (const name of tables) {
    const r = req[name] as Input;
    ctx.authorize('dynamodb:BatchGetItem', tableResource(ctx, name), leadingKeys(ctx, name, (r.Keys ?? []) as unknown[]));
    const t = activeTable(ctx, name);
    const ex = contextOf(r);
    const proj = projection(ex, r);
    ex.checkAllUsed();
    const keys = ((r.Keys ?? []) as unknown[]).map((k) => checkKey(t, k));
    const ks = keys.map((k) => keyString(t.keySchema, k));
    if (new Set(ks).size !== ks.length) throw validation('Provided list of item keys contains duplicates');
    responses[name] = ks.map((k) => readItem(ctx, t, k)).filter((i): i is Item => i !== undefined).map((i) => (proj ? project(i, proj) : i));
  }
  return { Responses: responses, UnprocessedKeys: {} };
}

export function batchWriteItem(ctx: OpContext, input: Input): unknown {
  const req = (input.RequestItems ?? {}) as Record<string, Input[]>;
  const tables = Object.keys(req);
  if (tables.length === 0) throw validation("1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
  const count = tables.reduce((a, n) => a + (req[n] ?? []).length, 0);
  if (count > 25) {
    throw validation("1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]");
  }
  const writes: Write[] = [];
  for (const name of tables) {
    ctx.authorize('dynamodb:BatchWriteItem', tableResource(ctx, name),
      leadingKeys(ctx, name, (req[name] ?? []).map((r) => (r.PutRequest as Input | undefined)?.Item ?? (r.DeleteRequest as Input | undefined)?.Key)));
    const t = activeTable(ctx, name);
    const seen = new Set<string>();
    for (const r of req[name] ?? []) {
      const put = r.PutRequest as Input | undefined;
      const del = r.DeleteRequest as Input | undefined;
      if ((put === undefined) === (del === undefined)) throw validation('Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes');
      const w: Write = put
        ? (() => { const item = checkWriteItem(t, put.Item); return { table: t, key: keyString(t.keySchema, item), old: undefined, next: item, failed: false, returnOnFailure: false }; })()
        : (() => { const key = checkKey(t, (del as Input).Key); return { table: t, key: keyString(t.keySchema, key), old: undefined, next: undefined, failed: false, returnOnFailure: false }; })();
      if (seen.has(w.key)) throw validation('Provided list of item keys contains duplicates');
      seen.add(w.key);
      writes.push(w);
    }
  }
  for (const w of writes) commit(ctx, w);
  return { UnprocessedItems: {} };
}

// ---------------------------------------------------------------- transactions

export function transactWriteItems(ctx: OpContext, input: Input): unknown {
  const items = (input.TransactItems ?? []) as Input[];
  if (!Array.isArray(items) || items.length === 0) throw validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (items.length > 100) throw validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
  const token = input.ClientRequestToken as string | undefined;
  const hash = createHash('sha256').update(JSON.stringify(items)).digest('hex');
  if (token !== undefined) {
    if (token.length < 1 || token.length > 36) throw validation(`1 validation error detected: Value '${token}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`);
    for (const [k, v] of Object.entries(ctx.state.tokens)) if (ctx.now - v.at > 10 * 60 * 1000) delete ctx.state.tokens[k];
    const seen = ctx.state.tokens[`${ctx.accountId}/${ctx.region}/${token}`];
    if (seen) {
      if (seen.hash !== hash) throw new AwsError('IdempotentParameterMismatchException', 'Request parameters do not match the parameters of the prior request with the same ClientRequestToken');
      return {};
    }
  }
  const writes = items.map((ti): Write => {
    const kinds = ['ConditionCheck', 'Put', 'Delete', 'Update'].filter((k) => ti[k] !== undefined);
    if (kinds.length !== 1) throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
    const kind = kinds[0] as string;
    const body = ti[kind] as Input;
    if (kind === 'Put') return preparePut(ctx, body);
    if (kind === 'Delete') return prepareDelete(ctx, body);
    if (kind === 'Update') return prepareUpdate(ctx, body);
    return prepareCheck(ctx, body);
  });
  const keys = writes.map((w) => `${w.table.name}\u0000${w.key}`);
  if (new Set(keys).size !== keys.length) throw validation('Transaction request cannot include multiple operations on one item');
  if (writes.some((w) => w.failed)) {
    const reasons = writes.map((w) => (w.failed
      ? { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', ...(w.returnOnFailure && w.old ? { Item: w.old } : {}) }
      : { Code: 'None' }));
    throw new DynamoError('TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
      { CancellationReasons: reasons });
  }
  for (const w of writes) commit(ctx, w);
  if (token !== undefined) { ctx.state.tokens[`${ctx.accountId}/${ctx.region}/${token}`] = { hash, at: ctx.now }; ctx.changed(); }
  return {};
}

export function transactGetItems(ctx: OpContext, input: Input): unknown {
  const items = (input.TransactItems ?? []) as Input[];
  if (!Array.isArray(items) || items.length === 0) throw validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null");
  if (items.length > 100) throw validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100");
  const reads = items.map((ti) => {
    const g = ti.Get as Input | undefined;
    if (!g) throw validation("1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy constraint: Member must not be null");
    ctx.authorize('dynamodb:GetItem', tableResource(ctx, g.TableName), leadingKeys(ctx, g.TableName, [g.Key]));
    const t = activeTable(ctx, g.TableName);
    const key = checkKey(t, g.Key);
    const ex = contextOf(g);
    const proj = projection(ex, g);
    ex.checkAllUsed();
    return { t, k: keyString(t.keySchema, key), proj };
  });
  const keys = reads.map((r) => `${r.t.name}\u0000${r.k}`);
  if (new Set(keys).size !== keys.length) throw validation('Transaction request cannot include multiple operations on one item');
  return {
    Responses: reads.map((r) => {
      const item = readItem(ctx, r.t, r.k);
      return item ? { Item: r.proj ? project(item, r.proj) : item } : {};
    }),
  };
}


import { HangarError } from '@hangar/core';
import type { IndexSpec, KeyAttribute, KnownTable, TableSpec } from './state.js';

export type TableOperation =
  | { readonly op: 'createTable'; readonly spec: TableSpec }
  | { readonly op: 'deleteTable'; readonly name: string }
  | { readonly op: 'setDeletionProtection'; readonly name: string; readonly enabled: boolean }
  | { readonly op: 'setBilling'; readonly name: string; readonly billing: TableSpec['billing']; readonly indexes: readonly string[] }
  | { readonly op: 'deleteIndex'; readonly name: string; readonly index: string }
  | { readonly op: 'createIndex'; readonly name: string; readonly index: IndexSpec; readonly billing: TableSpec['billing'] }
  | { readonly op: 'enableTtl'; readonly name: string; readonly attribute: string }
  | { readonly op: 'disableTtl'; readonly name: string; readonly attribute: string }
  | { readonly op: 'tag'; readonly name: string; readonly tags: Readonly<Record<string, string>> }
  | { readonly op: 'untag'; readonly name: string; readonly keys: readonly string[] };

export interface TablePlan {
  readonly operations: readonly TableOperation[];
}

export interface PlanOptions {
  /** `hangar deploy --replace`: a key-schema change deletes the table (and its items) and creates it anew. */
  readonly replace?: boolean;
}

/**
 * Decides what must change: no I/O. `current` is the table as known (state, or what AWS showed);
 * undefined means there is none. `desired = null` plans a removal. Operations run in order, one
 * table update at a time, as DynamoDB requires.
 */
export function planTable(desired: TableSpec | null, current: KnownTable | undefined, options: PlanOptions = {}): TablePlan {
  if (desired === null) {
    if (!current) return { operations: [] };
    if (current.deletionProtection) throw deletionProtected(current.name);
    return { operations: [{ op: 'deleteTable', name: current.name }] };
  }
  if (!current) return { operations: createOps(desired) };
  const name = current.name;

  if (!sameKeys(current, desired)) {
    if (!options.replace) throw keySchemaChange(current, desired);
    if (desired.deletionProtection) throw deletionProtected(name, 'replace');
    return {
      operations: [
        ...(current.deletionProtection ? [{ op: 'setDeletionProtection', name, enabled: false } as const] : []),
        { op: 'deleteTable', name },
        ...createOps({ ...desired, name }),
      ],
    };
  }

  const ops: TableOperation[] = [];
  // Protection off first and on last, so a protected table is never left unprotected half-way.
  if (current.deletionProtection && !desired.deletionProtection) ops.push({ op: 'setDeletionProtection', name, enabled: false });
  const wanted = new Map(desired.indexes.map((i) => [i.name, i]));
  const have = new Map(current.indexes.map((i) => [i.name, i]));
  // An index whose keys or projection change is deleted and created again (DynamoDB cannot change either in place).
  for (const [n, ix] of have) if (!wanted.has(n) || !sameIndex(ix, wanted.get(n)!)) ops.push({ op: 'deleteIndex', name, index: n });
  if (!sameBilling(current.billing, desired.billing)) {
    const kept = current.indexes.filter((i) => wanted.has(i.name) && sameIndex(i, wanted.get(i.name)!)).map((i) => i.name);
    ops.push({ op: 'setBilling', name, billing: desired.billing, indexes: kept });
  }
  for (const [n, ix] of wanted) if (!have.has(n) || !sameIndex(have.get(n)!, ix)) ops.push({ op: 'createIndex', name, index: ix, billing: desired.billing });
  if (current.ttlAttribute && desired.ttlAttribute && current.ttlAttribute !== desired.ttlAttribute) throw ttlMove(name, current.ttlAttribute, desired.ttlAttribute);
  if (current.ttlAttribute && current.ttlAttribute !== desired.ttlAttribute) ops.push({ op: 'disableTtl', name, attribute: current.ttlAttribute });
  if (desired.ttlAttribute && current.ttlAttribute !== desired.ttlAttribute) ops.push({ op: 'enableTtl', name, attribute: desired.ttlAttribute });
  const changedTags = Object.fromEntries(Object.entries(desired.tags).filter(([k, v]) => current.tags[k] !== v));
  if (Object.keys(changedTags).length) ops.push({ op: 'tag', name, tags: changedTags });
  const goneTags = Object.keys(current.tags).filter((k) => !(k in desired.tags));
  if (goneTags.length) ops.push({ op: 'untag', name, keys: goneTags });
  if (!current.deletionProtection && desired.deletionProtection) ops.push({ op: 'setDeletionProtection', name, enabled: true });
  return { operations: ops };
}

function createOps(desired: TableSpec): TableOperation[] {
  // CreateTable takes everything but time to live.
  return [{ op: 'createTable', spec: desired }, ...(desired.ttlAttribute ? [{ op: 'enableTtl', name: desired.name, attribute: desired.ttlAttribute } as const] : [])];
}

const keyText = (k: KeyAttribute | undefined) => (k ? `${k.name} (${k.type})` : 'none');
const sameKey = (a: KeyAttribute | undefined, b: KeyAttribute | undefined) => a?.name === b?.name && a?.type === b?.type;

function sameKeys(a: Pick<TableSpec, 'partitionKey' | 'sortKey'>, b: Pick<TableSpec, 'partitionKey' | 'sortKey'>): boolean {
  return sameKey(a.partitionKey, b.partitionKey) && sameKey(a.sortKey, b.sortKey);
}

function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  return sameKeys(a, b) && JSON.stringify(a.projection) === JSON.stringify(b.projection);
}

function sameBilling(a: TableSpec['billing'], b: TableSpec['billing']): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function keySchemaChange(current: KnownTable, desired: TableSpec): HangarError {
  return new HangarError('COMPONENT_REPLACE_REQUIRED',
    `Table ${current.name} has partition key ${keyText(current.partitionKey)} and sort key ${keyText(current.sortKey)}; the inputs ask for partition key ${keyText(desired.partitionKey)} and sort key ${keyText(desired.sortKey)}. ` +
    'DynamoDB cannot change a table\'s keys in place. Put the old keys back, or run `hangar deploy --replace <instance>` to delete the table with all its items and create it anew.',
    { details: { table: current.name, from: { partitionKey: current.partitionKey, sortKey: current.sortKey ?? null }, to: { partitionKey: desired.partitionKey, sortKey: desired.sortKey ?? null } } });
}

function deletionProtected(name: string, why: 'remove' | 'replace' = 'remove'): HangarError {
  return new HangarError('COMPONENT_DELETION_PROTECTED',
    `Table ${name} has deletion protection on, so it cannot be ${why === 'remove' ? 'removed' : 'replaced'}. ` +
    `Set inputs.deletionProtection: false and run \`hangar deploy\`${why === 'remove' ? ', then `hangar remove`' : ' --replace again'}.`,
    { details: { table: name } });
}

function ttlMove(name: string, from: string, to: string): HangarError {
  return new HangarError('COMPONENT_TTL_ATTRIBUTE_CHANGE',
    `Table ${name} expires items by attribute ${from}; inputs.ttlAttribute asks for ${to}. DynamoDB turns time to live off before it can move it, and accepts one such change an hour. ` +
    'Remove inputs.ttlAttribute and deploy, then set the new attribute and deploy again an hour later.',
    { details: { table: name, from, to } });
}

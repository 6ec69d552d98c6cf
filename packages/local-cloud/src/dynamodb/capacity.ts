/**
 * `ReturnConsumedCapacity` (TOTAL / INDEXES) for the single-table operations: capacity units as
 * DynamoDB counts them — writes 1 unit per KB, reads 1 unit per 4 KB (half for eventually
 * consistent reads) — from the sizes of the items written or returned. An approximation: a
 * Query/Scan is charged on the items it returns, not on everything it read.
 */
import { itemSize, type Item } from './values.js';

const READS = new Set(['GetItem', 'Query', 'Scan']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

export function withConsumedCapacity(op: string, input: Record<string, unknown>, out: unknown): unknown {
  const mode = input.ReturnConsumedCapacity;
  if ((mode !== 'TOTAL' && mode !== 'INDEXES') || typeof input.TableName !== 'string' || out === null || typeof out !== 'object') return out;
  if (!READS.has(op) && !WRITES.has(op)) return out;
  const o = out as Record<string, unknown>;
  let units: number;
  if (WRITES.has(op)) {
    const item = (op === 'PutItem' ? input.Item : o.Attributes ?? input.Key) as Item | undefined;
    units = Math.max(1, Math.ceil((item ? itemSize(item) : 0) / 1024));
  } else {
    const items = op === 'GetItem' ? (o.Item ? [o.Item as Item] : []) : ((o.Items ?? []) as Item[]);
    const bytes = items.reduce((a, i) => a + itemSize(i), 0);
    units = Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead === true ? 1 : 0.5);
  }
  const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
  const detail = mode === 'INDEXES'
    ? index ? { Table: { CapacityUnits: 0 }, GlobalSecondaryIndexes: { [index]: { CapacityUnits: units } } } : { Table: { CapacityUnits: units } }
    : {};
  return { ...o, ConsumedCapacity: { TableName: input.TableName, CapacityUnits: units, ...(READS.has(op) ? { ReadCapacityUnits: units } : { WriteCapacityUnits: units }), ...detail } };
}

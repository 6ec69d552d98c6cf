import { z } from 'zod';

const key = z.object({ name: z.string(), type: z.enum(['S', 'N', 'B']) });
export type KeyAttribute = z.output<typeof key>;

const index = z.object({
  name: z.string(),
  partitionKey: key,
  sortKey: key.optional(),
  /** ALL, KEYS_ONLY, or the non-key attributes projected (INCLUDE). */
  projection: z.union([z.enum(['ALL', 'KEYS_ONLY']), z.array(z.string())]),
});
export type IndexSpec = z.output<typeof index>;

/** Everything about a table the component manages; desired (from inputs) and known (from state or AWS) alike. */
export const tableSpecSchema = z.object({
  name: z.string(),
  partitionKey: key,
  sortKey: key.optional(),
  indexes: z.array(index),
  /** The TTL attribute when time to live is enabled. */
  ttlAttribute: z.string().optional(),
  billing: z.union([z.literal('PAY_PER_REQUEST'), z.object({ readCapacity: z.number(), writeCapacity: z.number() })]),
  deletionProtection: z.boolean(),
  /** Hangar's and the user's tags (others' tags on the table are left alone). */
  tags: z.record(z.string(), z.string()),
});
export type TableSpec = z.output<typeof tableSpecSchema>;

/** What the component remembers between deploys. */
export const tableStateSchema = z.object({
  table: tableSpecSchema.extend({ arn: z.string() }).optional(),
});
export type TableState = z.output<typeof tableStateSchema>;
export type KnownTable = NonNullable<TableState['table']>;

import { z } from 'zod';

const attributeName = z.string({ error: 'expected an attribute name' })
  .min(1, { error: 'expected an attribute name of 1 to 255 characters' })
  .max(255, { error: 'expected an attribute name of 1 to 255 characters' });

/** `id` (a string key) or `{ name: id, type: S | N | B }`. */
const keyAttribute = z.union([
  attributeName.transform((name) => ({ name, type: 'S' as const })),
  z.strictObject({
    name: attributeName,
    type: z.enum(['S', 'N', 'B'], { error: 'expected S (string), N (number) or B (binary)' }).default('S'),
  }),
], { error: 'expected an attribute name, or { name, type: S | N | B }' });

/** DynamoDB's rule for table and index names. */
const indexName = z.string({ error: 'expected an index name' })
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, { error: 'expected 3 to 255 letters, digits, _ . or -' });

const projection = z.union([
  z.enum(['ALL', 'KEYS_ONLY'], { error: 'expected ALL, KEYS_ONLY or a list of attribute names' }),
  z.array(attributeName).min(1).max(100),
], { error: 'expected ALL, KEYS_ONLY or a list of attribute names' }).default('ALL');

const capacity = (what: string) => z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
  z.number({ error: `expected a whole number of ${what} capacity units, at least 1` }).int({ error: `expected a whole number of ${what} capacity units, at least 1` })
    .min(1, { error: `expected a whole number of ${what} capacity units, at least 1` }),
);

/** Tag keys Hangar sets itself; the user's tags may not use them (nor AWS's `aws:` prefix). */
const tagKey = z.string().min(1).max(128)
  .refine((k) => !k.startsWith('aws:') && !k.startsWith('hangar:'), { error: 'is reserved: keys starting with aws: (AWS) or hangar: (Hangar) cannot be set' });

export const tableInputs = z.strictObject({
  partitionKey: keyAttribute.describe('The partition (hash) key: a name (type S) or { name, type }'),
  sortKey: keyAttribute.optional().describe('The sort (range) key, if any'),
  globalSecondaryIndexes: z.array(z.strictObject({
    name: indexName,
    partitionKey: keyAttribute,
    sortKey: keyAttribute.optional(),
    projection,
  }), { error: 'expected a list of { name, partitionKey, sortKey?, projection? }' })
    .max(20, { error: 'expected at most 20 global secondary indexes (DynamoDB\'s limit per table)' })
    .default([])
    .refine((gsis) => new Set(gsis.map((g) => g.name)).size === gsis.length, { error: 'expected each index name once' })
    .describe('Global secondary indexes; added and removed in place, one at a time'),
  ttlAttribute: attributeName.optional().describe('The Number attribute holding each item\'s expiry (epoch seconds); absent: no time to live'),
  billing: z.union([
    z.literal('PAY_PER_REQUEST'),
    z.strictObject({ readCapacity: capacity('read'), writeCapacity: capacity('write') }),
  ], { error: 'expected PAY_PER_REQUEST, or { readCapacity, writeCapacity } for provisioned capacity' })
    .default('PAY_PER_REQUEST')
    .describe('On-demand (default), or provisioned capacity (also given to each index)'),
  deletionProtection: z.boolean({ error: 'expected true or false' }).default(false)
    .describe('When true, DynamoDB refuses to delete the table (and so does hangar remove)'),
  tags: z.record(tagKey, z.string().max(256, { error: 'expected at most 256 characters' }), { error: 'expected a map of tag names to strings' })
    .default({})
    .refine((t) => Object.keys(t).length <= 40, { error: 'expected at most 40 tags (DynamoDB allows 50, Hangar sets 3)' })
    .describe('Tags on the table, besides hangar:instance, hangar:app and hangar:stage'),
}).superRefine((inputs, ctx) => {
  // One type per attribute name across the table's and the indexes' keys, as AttributeDefinitions requires.
  const types = new Map<string, string>();
  const check = (k: { name: string; type: string } | undefined, path: (string | number)[]) => {
    if (!k) return;
    const seen = types.get(k.name);
    if (seen && seen !== k.type) ctx.addIssue({ code: 'custom', path, message: `attribute ${k.name} is ${seen} elsewhere; one attribute has one type` });
    types.set(k.name, k.type);
  };
  check(inputs.partitionKey, ['partitionKey']);
  check(inputs.sortKey, ['sortKey']);
  if (inputs.sortKey?.name === inputs.partitionKey.name) ctx.addIssue({ code: 'custom', path: ['sortKey'], message: 'must differ from partitionKey' });
  inputs.globalSecondaryIndexes.forEach((g, i) => {
    check(g.partitionKey, ['globalSecondaryIndexes', i, 'partitionKey']);
    check(g.sortKey, ['globalSecondaryIndexes', i, 'sortKey']);
  });
});

export type TableInputs = z.output<typeof tableInputs>;

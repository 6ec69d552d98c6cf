/**
 * `permissions:` of a function component (http-function, express, function): what the function's
 * own code may do, compiled into one least-privilege inline policy on its execution role.
 *
 * ```yaml
 * permissions:
 *   - ref: ${output:todos.arn}   # resolved to the table's ARN before the component runs
 *     access: readwrite
 *   - ref: ${output:site.arn}    # an S3 bucket
 *     access: read
 *   - Effect: Allow              # or a raw IAM statement
 *     Action: sqs:SendMessage
 *     Resource: arn:aws:sqs:us-east-1:123456789012:jobs
 * ```
 */
import { z } from 'zod';

/** The inline policy's name on the execution role. */
export const inlinePolicyName = 'hangar-permissions';

export const accessLevels = ['read', 'write', 'readwrite'] as const;
export type AccessLevel = (typeof accessLevels)[number];

/** Item and query actions (no table management) for reading and writing a DynamoDB table. */
export const dynamodbReadActions = [
  'dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan',
] as const;
export const dynamodbWriteActions = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;
/** Object actions on a bucket's objects, plus ListBucket on the bucket itself for reading. */
export const s3ReadObjectActions = ['s3:GetObject'] as const;
export const s3WriteObjectActions = ['s3:DeleteObject', 's3:PutObject'] as const;

const tableArn = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/[A-Za-z0-9_.-]{3,255}$/;
const bucketArn = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** What a `ref` may point at, for the error message. */
const supported = 'a DynamoDB table (arn:aws:dynamodb:<region>:<account>:table/<name>) or an S3 bucket (arn:aws:s3:::<bucket>)';

const refEntry = z.strictObject({
  ref: z.string({ error: `expected an ARN of ${supported}, e.g. \${output:<instance>.arn}` })
    .refine((r) => tableArn.test(r) || bucketArn.test(r), {
      error: `expected an ARN of ${supported} (for any other resource write a raw statement: Effect, Action, Resource)`,
    }),
  access: z.enum(accessLevels, { error: 'expected access: read, write or readwrite' }),
});

const stringList = (what: string) => z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: `expected ${what}: a string or a list of strings` })
  .transform((v) => (typeof v === 'string' ? [v] : v));

const rawStatement = z.strictObject({
  Sid: z.string().regex(/^[A-Za-z0-9]*$/, { error: 'expected letters and digits only (IAM\'s rule for Sid)' }).optional(),
  Effect: z.enum(['Allow', 'Deny'], { error: 'expected Allow or Deny' }),
  Action: stringList('IAM actions, e.g. sqs:SendMessage')
    .refine((as) => as.every((a) => a === '*' || /^[a-z0-9-]+:[A-Za-z0-9*?]+$/.test(a)), { error: 'expected actions as <service>:<Action>, e.g. sqs:SendMessage' }),
  Resource: stringList('resource ARNs (or "*")'),
});

export type PermissionEntry = { ref: string; access: AccessLevel } | z.output<typeof rawStatement>;

export const permissionsInput = z.array(
  z.union([refEntry, rawStatement], {
    error: (iss) => {
      const o = iss.input;
      if (o && typeof o === 'object' && 'ref' in o) {
        const access = (o as { access?: unknown }).access;
        if (!(accessLevels as readonly unknown[]).includes(access)) return `expected access: read, write or readwrite (access is ${JSON.stringify(access)})`;
        return `expected ref to be an ARN of ${supported} (for any other resource write a raw statement: Effect, Action, Resource)`;
      }
      return 'expected { ref: ${output:<instance>.arn}, access: read|write|readwrite } or a raw IAM statement { Effect, Action, Resource }';
    },
  }),
  { error: 'expected a list of permissions' },
).default([])
  .describe('What the function may do: { ref: ${output:<instance>.arn}, access: read|write|readwrite } (a table or bucket) or raw IAM statements');

export interface IamStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

const grants = (access: AccessLevel, what: 'read' | 'write') => access === 'readwrite' || access === what;

/**
 * The inline policy for the entries, or undefined when there are none. A table gets its item
 * actions on the table, and the read actions on its indexes too (`table/<name>/index/*`: Query and
 * Scan of a GSI are authorised there); a bucket gets object actions on `<bucket>/*` and, for
 * reading, ListBucket on the bucket.
 */
export function compilePermissions(entries: readonly PermissionEntry[]): IamPolicy | undefined {
  const statements: IamStatement[] = [];
  for (const e of entries) {
    if (!('ref' in e)) {
      statements.push({ ...(e.Sid ? { Sid: e.Sid } : {}), Effect: e.Effect, Action: [...e.Action], Resource: [...e.Resource] });
      continue;
    }
    if (tableArn.test(e.ref)) {
      if (grants(e.access, 'read')) statements.push({ Effect: 'Allow', Action: [...dynamodbReadActions], Resource: [e.ref, `${e.ref}/index/*`] });
      if (grants(e.access, 'write')) statements.push({ Effect: 'Allow', Action: [...dynamodbWriteActions], Resource: [e.ref] });
    } else if (bucketArn.test(e.ref)) {
      if (grants(e.access, 'read')) {
        statements.push({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [e.ref] });
        statements.push({ Effect: 'Allow', Action: [...s3ReadObjectActions], Resource: [`${e.ref}/*`] });
      }
      if (grants(e.access, 'write')) statements.push({ Effect: 'Allow', Action: [...s3WriteObjectActions], Resource: [`${e.ref}/*`] });
    } else {
      // The input schema admits only those two; a caller skipping it gets the same message.
      throw new Error(`permissions: ref ${e.ref} is not an ARN of ${supported}`);
    }
  }
  return statements.length ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** The compiled `permissions:` as the function plan wants it: compact JSON, or nothing. */
export function inlinePolicyOf(permissions: readonly PermissionEntry[]): { inlinePolicy?: string } {
  const policy = compilePermissions(permissions);
  return policy ? { inlinePolicy: JSON.stringify(policy) } : {};
}

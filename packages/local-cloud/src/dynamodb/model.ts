/** DynamoDB's persistent state (plain JSON, the service snapshot) and what operations share. */
import { AwsError } from '../internal/contract.js';
import type { AttributeValue, Item } from './values.js';

export interface KeyElement { AttributeName: string; KeyType: 'HASH' | 'RANGE' }
export interface AttributeDefinition { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }
export interface Projection { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] }
export interface Throughput { ReadCapacityUnits: number; WriteCapacityUnits: number }

export interface IndexModel {
  name: string;
  keySchema: KeyElement[];
  projection: Projection;
  throughput?: Throughput;
  /** ms on the server clock when a new GSI becomes ACTIVE. */
  activeAt: number;
}

export interface TableModel {
  name: string;
  accountId: string;
  region: string;
  id: string;
  created: number;
  /** ms on the server clock when the table becomes ACTIVE (CREATING before). */
  activeAt: number;
  keySchema: KeyElement[];
  attributeDefinitions: AttributeDefinition[];
  billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  lastPayPerRequest?: number;
  throughput?: Throughput;
  gsis: IndexModel[];
  lsis: IndexModel[];
  stream?: { StreamEnabled: boolean; StreamViewType?: string };
  streamLabel?: string;
  deletionProtection: boolean;
  tags: Record<string, string>;
  /** `changedAt`: ms on the server clock of the last UpdateTimeToLive (DynamoDB allows one change an hour). */
  ttl?: { attribute: string; enabled: boolean; changedAt?: number };
  tableClass?: string;
  /** key string -> item */
  items: Record<string, Item>;
}

export interface DynamoState {
  /** `<account>/<region>/<table>` -> table */
  tables: Record<string, TableModel>;
  /** ClientRequestToken -> {hash of the request, when, answer} for TransactWriteItems (10 minutes). */
  tokens: Record<string, { hash: string; at: number }>;
}

/** An AwsError with further members in its JSON body (Item, CancellationReasons). */
export class DynamoError extends AwsError {
  constructor(code: string, message: string, readonly extra: Record<string, unknown> = {}, status = 400) {
    super(code, message, status);
  }
}

export const notFound = (message = 'Requested resource not found'): AwsError => new AwsError('ResourceNotFoundException', message);

export function tableKey(accountId: string, region: string, name: string): string {
  return `${accountId}/${region}/${name}`;
}

export function tableArn(t: { accountId: string; region: string; name: string }): string {
  return `arn:aws:dynamodb:${t.region}:${t.accountId}:table/${t.name}`;
}

export function hashKey(schema: KeyElement[]): string {
  return (schema.find((k) => k.KeyType === 'HASH') as KeyElement).AttributeName;
}

export function rangeKey(schema: KeyElement[]): string | undefined {
  return schema.find((k) => k.KeyType === 'RANGE')?.AttributeName;
}

export function keyOf(schema: KeyElement[], item: Item): Item {
  const out: Item = {};
  for (const k of schema) {
    const v = item[k.AttributeName];
    if (v !== undefined) out[k.AttributeName] = v;
  }
  return out;
}

export function keyString(schema: KeyElement[], item: Item): string {
  return JSON.stringify(schema.map((k) => item[k.AttributeName] as AttributeValue));
}

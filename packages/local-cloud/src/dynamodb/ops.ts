/** The operations DynamoDB serves, by X-Amz-Target name, and what each one is given. */
import {
  batchGetItem, batchWriteItem, deleteItem, getItem, putItem, query, scan, transactGetItems, transactWriteItems, updateItem,
} from './items.js';
import type { DynamoState } from './model.js';
import {
  createTable, deleteTable, describeTable, describeTimeToLive, listTables, listTagsOfResource, tagResource, untagResource,
  updateTable, updateTimeToLive,
} from './tables.js';

export interface OpContext {
  readonly state: DynamoState;
  readonly accountId: string;
  readonly region: string;
  /** ms on the server clock */
  readonly now: number;
  /** `conditionKeys` such as `dynamodb:LeadingKeys` for the policy's Condition blocks. */
  authorize(action: string, resource: string, conditionKeys?: Record<string, string | string[]>): void;
  changed(): void;
}

export type Operation = (ctx: OpContext, input: Record<string, unknown>) => unknown;

export const operations: Readonly<Record<string, Operation>> = {
  CreateTable: createTable,
  DescribeTable: describeTable,
  ListTables: listTables,
  DeleteTable: deleteTable,
  UpdateTable: updateTable,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsOfResource: listTagsOfResource,
  UpdateTimeToLive: updateTimeToLive,
  DescribeTimeToLive: describeTimeToLive,
  PutItem: putItem,
  GetItem: getItem,
  DeleteItem: deleteItem,
  UpdateItem: updateItem,
  Query: query,
  Scan: scan,
  BatchGetItem: batchGetItem,
  BatchWriteItem: batchWriteItem,
  TransactWriteItems: transactWriteItems,
  TransactGetItems: transactGetItems,
};

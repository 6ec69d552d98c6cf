/**
 * DynamoDB (awsJson1_0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): tables, items,
 * expressions, Query/Scan, batches and transactions, authorised with AWS's action and resource
 * names, errors with AWS's `__type`s. State (tables and items) is the service snapshot, kept in
 * the data dir. See README.md, "DynamoDB".
 */
import { crc32 } from 'node:zlib';
import { AwsError, type CloudRuntime, type Service, type ServiceFactory, type ServiceResponse } from '../internal/contract.js';
import { withConsumedCapacity } from './capacity.js';
import { DynamoError, type DynamoState } from './model.js';
import { operations } from './ops.js';

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

/** The namespace AWS puts before each error's name in `__type`. */
function errorType(code: string): string {
  const coral = ['AccessDeniedException', 'UnrecognizedClientException', 'MissingAuthenticationTokenException', 'InvalidSignatureException',
    'ExpiredTokenException', 'IncompleteSignatureException', 'UnknownOperationException', 'SerializationException'];
  return coral.includes(code) ? `com.amazon.coral.service#${code}` : `com.amazonaws.dynamodb.v20120810#${code}`;
}

function reply(status: number, body: unknown, requestId: string): ServiceResponse {
  const text = JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId, 'x-amz-crc32': String(crc32(Buffer.from(text, 'utf8'))) },
    body: text,
  };
}

function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

export function createDynamoDb(rt: CloudRuntime): Service {
  const state: DynamoState = { tables: {}, tokens: {} };
  return {
    signingName: 'dynamodb',
    protocol: 'json',
    async handle(req) {
      try {
        const target = header(req.headers, 'x-amz-target') ?? '';
        const name = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
        const op = Object.hasOwn(operations, name) ? operations[name] : undefined;
        if (!op) throw new AwsError('UnknownOperationException', '');
        const principal = req.principal;
        if (!principal) throw new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token');
        let input: Record<string, unknown> = {};
        if (req.body.length > 0) {
          try {
            input = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
          } catch {
            throw new AwsError('SerializationException', 'Start of structure or map found where not expected');
          }
          if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new AwsError('SerializationException', 'Start of structure or map found where not expected');
        }
        const out = op({
          state,
          accountId: principal.accountId,
          region: req.region,
          now: rt.now().getTime(),
          authorize: (action, resource, keys) => rt.authorize(principal, action, resource, keys),
          changed: () => rt.changed(),
        }, input);
        return reply(200, withConsumedCapacity(name, input, out), req.requestId);
      } catch (e) {
        if (!(e instanceof AwsError)) throw e;
        const extra = e instanceof DynamoError ? e.extra : {};
        const key = e.code === 'TransactionCanceledException' ? 'Message' : 'message';
        // DynamoDB answers every client error, AccessDeniedException included, with HTTP 400.
        return reply(e.status < 500 ? 400 : e.status, { __type: errorType(e.code), ...extra, [key]: e.message }, req.requestId);
      }
    },
    snapshot: () => state,
    restore(saved) {
      const s = saved as Partial<DynamoState> | undefined;
      state.tables = s?.tables ?? {};
      state.tokens = s?.tokens ?? {};
    },
  };
}

export const dynamoDbService: ServiceFactory = (rt) => ({ service: createDynamoDb(rt) });

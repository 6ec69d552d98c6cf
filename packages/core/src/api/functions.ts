/**
 * Keyless operations on a deployed function: its runtime logs, a health summary read from them,
 * and invoking it. The engine serves each with a short session on the instance's provider role
 * narrowed by a session policy to exactly that action on that resource; the client holds no AWS
 * credentials.
 */
import { z } from 'zod';
import { defineRoute } from './route.js';

const instanceParams = z.object({ orgId: z.string().min(1), instanceId: z.string().min(1).max(100) });

const sinceUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * When a `since` value starts: a relative age (`30s`, `10m`, `2h`, `7d`, counted back from `now`)
 * or an ISO-8601 time (`2026-12-01T10:00:00Z`, `2026-12-01`); undefined when it is neither.
 */
export function parseSince(value: string, now: Date): Date | undefined {
  const rel = /^(\d{1,7})([smhd])$/.exec(value.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * sinceUnits[rel[2] as keyof typeof sinceUnits]);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return undefined;
  const t = Date.parse(value.trim());
  return Number.isNaN(t) ? undefined : new Date(t);
}

/**
 * `--since` values: a relative age (`30s`, `10m`, `2h`, `7d`) or an ISO-8601 time. Anything else
 * is VALIDATION_FAILED naming `query.since`, the value and the accepted forms.
 */
const since = z.string().min(1).max(64).superRefine((v, ctx) => {
  if (!parseSince(v, new Date(0))) {
    ctx.addIssue({ code: 'custom', message: `expected an age like 30s, 10m, 2h or 7d, or an ISO-8601 time like 2026-12-01T10:00:00Z; got ${JSON.stringify(v)}` });
  }
});

/** What a runtime log line is, as the engine recognises Lambda's output. */
export const functionLogKind = z.enum(['log', 'error', 'start', 'end', 'report']);
export const functionLogEvent = z.object({
  /** The cloud's event id (stable). The SSE stream's `id:` is `<epoch ms>.<this id>`, echoed as `Last-Event-ID` to resume. */
  id: z.string(),
  ts: z.string(),
  stream: z.string(),
  message: z.string(),
  requestId: z.string().nullable(),
  kind: functionLogKind,
  /** For `error`: Lambda's error type when it names one (`Runtime.ImportModuleError`, `Error`, `Task timed out`…). */
  errorType: z.string().nullable(),
});
export type FunctionLogEvent = z.output<typeof functionLogEvent>;

export const functionLogsQuery = z.object({
  since: since.default('10m'),
  /** A CloudWatch Logs filter pattern, passed through; one the cloud refuses is FUNCTION_LOGS_FILTER_INVALID. */
  filter: z.string().min(1).max(1024).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});

export const instanceLogs = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances/:instanceId/logs', access: 'viewer',
  summary: 'The function\'s runtime logs (CloudWatch Logs /aws/lambda/<function>): the newest `limit` lines since `since`, oldest first',
  params: instanceParams, query: functionLogsQuery,
  /** `truncated`: older lines since `since` were left out (more than `limit`); narrow `since` or `filter` to see them. */
  reply: z.object({ logGroup: z.string(), events: z.array(functionLogEvent), truncated: z.boolean() }),
});

/** The server-sent events of GET /instances/:instanceId/logs/events. */
export const functionLogStreamEvent = z.discriminatedUnion('event', [
  z.object({ event: z.literal('log'), data: functionLogEvent }),
  /** Sent once the backlog (`since`) has been sent; later `log` events are live. */
  z.object({ event: z.literal('live'), data: z.object({ logGroup: z.string() }) }),
  /** The stream cannot go on (instance removed, provider refused); the client stops. */
  z.object({ event: z.literal('error'), data: z.object({ code: z.string(), message: z.string() }) }),
]);
export type FunctionLogStreamEvent = z.output<typeof functionLogStreamEvent>;
/** Answers `text/event-stream` carrying `FunctionLogStreamEvent`s; follows until the client goes. `Last-Event-ID` resumes. */
export const instanceLogEvents = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances/:instanceId/logs/events', access: 'viewer',
  summary: 'Follow the function\'s runtime logs (server-sent events)',
  params: instanceParams, query: functionLogsQuery.omit({ limit: true }),
});

export const functionError = z.object({
  requestId: z.string().nullable(), ts: z.string(), errorType: z.string().nullable(), message: z.string(),
  /** The first stack lines (at most 10). */
  stack: z.array(z.string()),
});
export type FunctionError = z.output<typeof functionError>;

export const functionHealth = z.object({
  logGroup: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  invocations: z.number().int(),
  errors: z.number().int(),
  coldStarts: z.number().int(),
  durationMs: z.object({ p50: z.number(), p99: z.number() }).nullable(),
  lastError: functionError.nullable(),
});
export type FunctionHealth = z.output<typeof functionHealth>;

export const instanceHealth = defineRoute({
  method: 'GET', path: '/api/v1/orgs/:orgId/instances/:instanceId/health', access: 'viewer',
  summary: 'Invocations, errors, durations and cold starts from the function\'s REPORT lines, and its last error',
  params: instanceParams, query: z.object({ since: since.default('1h') }),
  reply: functionHealth,
});

export const invokeRequest = z.union([
  /** A raw event payload (any JSON). */
  z.object({ payload: z.unknown() }).strict(),
  /** An HTTP API (payload 2.0) event built by the engine for this method and path. */
  z.object({
    http: z.object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).default('GET'),
      path: z.string().startsWith('/', 'expected a path starting with "/"').max(2048).default('/'),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.string().max(6 * 1024 * 1024).optional(),
    }).strict(),
  }).strict(),
]);
export const invokeReply = z.object({
  statusCode: z.number().int(),
  /** Lambda's X-Amz-Function-Error (`Unhandled`), or null. */
  functionError: z.string().nullable(),
  /** The function's response payload as text (JSON as the function returned it). */
  payload: z.string(),
  /** The last 4 KB of the invocation's log (LogType: Tail), decoded. */
  logTail: z.string(),
  requestId: z.string().nullable(),
  durationMs: z.number(),
});
export type InvokeReply = z.output<typeof invokeReply>;

export const invokeInstance = defineRoute({
  method: 'POST', path: '/api/v1/orgs/:orgId/instances/:instanceId/invoke', access: 'deployer',
  summary: 'Invoke the function once and return its response and log tail',
  params: instanceParams, body: invokeRequest, reply: invokeReply,
});

/**
 * CloudWatch Logs service (awsJson1_1). Lambda writes its function logs through `LogsApi`.
 */
import { join } from 'node:path';
import { AwsError, type CloudRuntime, type Service, type ServiceRequest } from '../internal/contract.js';
import { openJournal } from './journal.js';
import { logsOperations } from './operations.js';
import { appendEvents, ensureGroup, ensureStream, scopeKey, type LogsState, type Scope } from './store.js';

export type { Scope } from './store.js';

/** What other services (Lambda) use to write log events, as AWS's own services do. */
export interface LogsApi {
  /** Appends events to `group`/`stream`, creating both when missing. */
  write(scope: Scope, group: string, stream: string, events: readonly { timestamp: number; message: string }[]): void;
  /** Events of one stream, oldest first (for Lambda's `LogType: Tail`). */
  read(scope: Scope, group: string, stream: string): readonly { timestamp: number; message: string }[];
}

export interface LogsParts {
  service: Service;
  api: LogsApi;
}

const TARGET_PREFIX = 'Logs_20140328.';

function header(req: ServiceRequest, name: string): string | undefined {
  const direct = req.headers[name];
  if (direct !== undefined) return direct;
  const key = Object.keys(req.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : req.headers[key];
}

/** CloudWatch Logs answers AccessDeniedException with HTTP 400 (IAM's evaluation says 403). */
function withLogsStatus<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof AwsError && e.code === 'AccessDeniedException' && e.status !== 400) throw new AwsError(e.code, e.message, 400);
    throw e;
  }
}

/** Builds the Logs service and the API Lambda writes through. */
export function createLogs(rt: CloudRuntime): LogsParts {
  const state: LogsState = { scopes: {} };
  const dataDir = rt.dataDir();
  const journal = openJournal(dataDir ? join(dataDir, 'logs.ndjson') : undefined, state, rt.now().getTime());

  const service: Service = {
    signingName: 'logs',
    protocol: 'json',
    async handle(req) {
      const target = header(req, 'x-amz-target') ?? '';
      const opName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      const op = Object.hasOwn(logsOperations, opName) ? logsOperations[opName] : undefined;
      if (!op) throw new AwsError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`);
      const principal = req.principal;
      if (!principal) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      let input: Record<string, unknown> = {};
      if (req.body.length > 0) {
        try {
          input = JSON.parse(req.body.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new AwsError('SerializationException', 'Could not parse the request body as JSON.');
        }
        if (input === null || typeof input !== 'object' || Array.isArray(input)) {
          throw new AwsError('SerializationException', 'Expected the request body to be a JSON object.');
        }
      }
      const out = withLogsStatus(() => op({
        state,
        scope: { accountId: principal.accountId, region: req.region },
        now: rt.now().getTime(),
        callerAccount: principal.accountId,
        authorize: (action, resource) => rt.authorize(principal, action, resource),
        journal: (rec) => journal.append(rec),
      }, input));
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify(out) };
    },
    async close() {
      journal.flush();
    },
  };

  const api: LogsApi = {
    write(scope, group, stream, events) {
      const now = rt.now().getTime();
      const k = scopeKey(scope);
      if (!state.scopes[k]?.[group]) journal.append({ op: 'group', k, g: group, t: now });
      const g = ensureGroup(state, scope, group, now);
      if (!g.streams[stream]) journal.append({ op: 'stream', k, g: group, s: stream, t: now });
      appendEvents(ensureStream(g, stream, now), events, now);
      journal.append({ op: 'events', k, g: group, s: stream, i: now, e: events.map((e) => [e.timestamp, e.message]) });
    },
    read(scope, group, stream) {
      return state.scopes[`${scope.accountId}/${scope.region}`]?.[group]?.streams[stream]?.events ?? [];
    },
  };

  return { service, api };
}

export { logsService } from '../lambda/compute.js';

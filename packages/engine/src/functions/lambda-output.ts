/**
 * Recognising what Lambda writes to a function's log group, one event at a time. Pure.
 *
 * The shapes are AWS's (the Node.js runtime interface client and the Lambda platform):
 * - platform lines `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`,
 *   `REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 150.00 ms\t`
 *   with, on failures, `Status: error|timeout` and `Error Type: Runtime.OutOfMemory`;
 * - the runtime's text format `<ISO time>\t<request id>\t<LEVEL>\t<message>`, where an uncaught
 *   error is `Invoke Error \t{"errorType":…,"errorMessage":…,"stack":[…]}` (and, at init,
 *   `Uncaught Exception \t{…}` with request id `undefined`: Runtime.ImportModuleError,
 *   Runtime.HandlerNotFound, Runtime.UserCodeSyntaxError…);
 * - `<ISO time> <request id> Task timed out after 3.00 seconds`;
 * - `RequestId: <id> Error: Runtime exited with error: signal: killed` (out of memory, crashes);
 * - the JSON log format (`AWS_LAMBDA_LOG_FORMAT=JSON`): `{"type":"platform.report","record":{…}}`
 *   and `{"level":"ERROR","requestId":…,"errorType":…}` lines.
 */
import type { FunctionLogEvent } from '@hangar/core/api';

export type FunctionLogKind = FunctionLogEvent['kind'];

/** What a REPORT line says about one invocation. */
export interface InvocationReport {
  readonly durationMs: number | null;
  readonly billedDurationMs: number | null;
  readonly memorySizeMb: number | null;
  readonly maxMemoryUsedMb: number | null;
  /** Present on a cold start: the time spent loading the function before this invocation. */
  readonly initDurationMs: number | null;
  /** `error` / `timeout` when the platform reports the invocation failed (newer REPORT lines). */
  readonly status: string | null;
  readonly errorType: string | null;
}

export interface ParsedLogLine {
  readonly kind: FunctionLogKind;
  readonly requestId: string | null;
  readonly errorType: string | null;
  /** For `error`: the error's message and stack lines as the runtime wrote them. */
  readonly error?: { readonly message: string; readonly stack: readonly string[] };
  readonly report?: InvocationReport;
}

const plain = (requestId: string | null = null): ParsedLogLine => ({ kind: 'log', requestId, errorType: null });

/** The runtime writes `undefined` when no invocation is running (init). */
function reqId(v: unknown): string | null {
  return typeof v === 'string' && v !== '' && v !== 'undefined' && v !== 'null' ? v : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** `{"errorType","errorMessage","stack"}` (text format), `trace` (invoke responses) or `stackTrace` (JSON format). */
function errorFields(o: Record<string, unknown>): { errorType: string | null; message: string; stack: string[] } | undefined {
  const errorType = typeof o.errorType === 'string' ? o.errorType : null;
  const message = typeof o.errorMessage === 'string' ? o.errorMessage : null;
  if (errorType === null && message === null) return undefined;
  const stack = strings(o.stack).length ? strings(o.stack) : strings(o.trace).length ? strings(o.trace) : strings(o.stackTrace);
  return { errorType, message: message ?? '', stack };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const num = (v: string | undefined): number | null => {
  if (v === undefined) return null;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : null;
};

function parseReportFields(rest: string): InvocationReport {
  const fields = new Map<string, string>();
  for (const part of rest.split('\t')) {
    const i = part.indexOf(':');
    if (i > 0) fields.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return {
    durationMs: num(fields.get('Duration')),
    billedDurationMs: num(fields.get('Billed Duration')),
    memorySizeMb: num(fields.get('Memory Size')),
    maxMemoryUsedMb: num(fields.get('Max Memory Used')),
    initDurationMs: num(fields.get('Init Duration')),
    status: fields.get('Status') ?? null,
    errorType: fields.get('Error Type') ?? null,
  };
}

const runtimeErrorLabels = /^(Invoke Error|Uncaught Exception|Unhandled Promise Rejection)\s*\t(\{.*\})\s*$/s;
const textLine = /^(\d{4}-\d{2}-\d{2}T[^\t]+)\t([^\t]*)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t(.*)$/s;
const timedOut = /^(?:\S+\s+)?(\S+)\s+Task timed out after ([\d.]+) seconds\s*$/;
const exited = /^RequestId: (\S+) Error: (Runtime exited with error: .*?)\s*$/;

/** One log event's message, recognised. Lines it does not recognise are `log`. */
export function parseLambdaLine(raw: string): ParsedLogLine {
  const message = raw.replace(/[\r\n]+$/, '');
  let m: RegExpExecArray | null;
  if ((m = /^START RequestId: (\S+)/.exec(message))) return { kind: 'start', requestId: m[1]!, errorType: null };
  if ((m = /^END RequestId: (\S+)/.exec(message))) return { kind: 'end', requestId: m[1]!, errorType: null };
  if ((m = /^REPORT RequestId: (\S+)(.*)$/s.exec(message))) {
    const report = parseReportFields(m[2]!);
    const errorType = report.errorType ?? (report.status === 'timeout' ? 'Task timed out' : null);
    return { kind: 'report', requestId: m[1]!, errorType, report };
  }
  if ((m = exited.exec(message))) {
    // The REPORT line that follows may name the cause (`Error Type: Runtime.OutOfMemory`).
    return { kind: 'error', requestId: m[1]!, errorType: 'Runtime.ExitError', error: { message: m[2]!, stack: [] } };
  }
  if ((m = textLine.exec(message))) {
    const requestId = reqId(m[2]);
    const level = m[3]!;
    const body = m[4]!;
    const e = (level === 'ERROR' || level === 'FATAL') ? runtimeErrorLabels.exec(body) : null;
    if (e) {
      const fields = errorFields(parseJsonObject(e[2]!) ?? {});
      if (fields) return { kind: 'error', requestId, errorType: fields.errorType, error: { message: fields.message, stack: fields.stack } };
    }
    return plain(requestId);
  }
  if ((m = timedOut.exec(message))) {
    return { kind: 'error', requestId: reqId(m[1]), errorType: 'Task timed out', error: { message: `Task timed out after ${m[2]} seconds`, stack: [] } };
  }
  if (message.startsWith('{')) return parseJsonLine(message);
  return plain();
}

/** The JSON log format: platform events and structured application lines. */
function parseJsonLine(message: string): ParsedLogLine {
  const o = parseJsonObject(message);
  if (!o) return plain();
  const record = (o.record !== null && typeof o.record === 'object' ? o.record : {}) as Record<string, unknown>;
  switch (o.type) {
    case 'platform.start':
      return { kind: 'start', requestId: reqId(record.requestId), errorType: null };
    case 'platform.runtimeDone':
      return { kind: 'end', requestId: reqId(record.requestId), errorType: null };
    case 'platform.report': {
      const metrics = (record.metrics !== null && typeof record.metrics === 'object' ? record.metrics : {}) as Record<string, unknown>;
      const n = (k: string) => (typeof metrics[k] === 'number' ? (metrics[k] as number) : null);
      const status = typeof record.status === 'string' && record.status !== 'success' ? record.status : null;
      const errorType = typeof record.errorType === 'string' ? record.errorType : status === 'timeout' ? 'Task timed out' : null;
      return {
        kind: 'report', requestId: reqId(record.requestId), errorType,
        report: { durationMs: n('durationMs'), billedDurationMs: n('billedDurationMs'), memorySizeMb: n('memorySizeMB'), maxMemoryUsedMb: n('maxMemoryUsedMB'), initDurationMs: n('initDurationMs'), status, errorType },
      };
    }
    default:
      break;
  }
  const requestId = reqId(o.requestId);
  if (o.level === 'ERROR' || o.level === 'FATAL') {
    const inner = o.message !== null && typeof o.message === 'object' ? errorFields(o.message as Record<string, unknown>) : undefined;
    const fields = errorFields(o) ?? inner;
    if (fields?.errorType) return { kind: 'error', requestId, errorType: fields.errorType, error: { message: fields.message, stack: fields.stack } };
  }
  return plain(requestId);
}

/**
 * From CloudWatch Logs events to the API's function log events, and from those to a health
 * summary (invocations, errors, cold starts, durations, last error). Pure.
 */
import type { FunctionError, FunctionHealth, FunctionLogEvent } from '@hangar/core/api';
import { parseLambdaLine, type ParsedLogLine } from './lambda-output.js';

/** A FilterLogEvents event, as the engine keeps it. */
export interface RawLogEvent {
  readonly eventId: string;
  readonly timestamp: number;
  readonly logStreamName: string;
  readonly message: string;
}

export interface RecognisedEvent {
  readonly event: FunctionLogEvent;
  readonly parsed: ParsedLogLine;
}

/**
 * A recogniser for one sequence of events (oldest first). It remembers, per log stream, the
 * invocation between its START and END, so a line without a request id of its own (a raw
 * stdout write, an init error logged during an invocation) is attributed to it.
 */
export function createRecogniser(): (raw: RawLogEvent) => RecognisedEvent {
  const open = new Map<string, string>();
  return (raw) => {
    const parsed = parseLambdaLine(raw.message);
    const stream = raw.logStreamName;
    let requestId = parsed.requestId;
    if (parsed.kind === 'start' && requestId) open.set(stream, requestId);
    else if (parsed.kind === 'end' || parsed.kind === 'report') open.delete(stream);
    else if (requestId === null) requestId = open.get(stream) ?? null;
    return {
      parsed,
      event: {
        id: raw.eventId,
        ts: new Date(raw.timestamp).toISOString(),
        stream,
        // The runtime writes a multi-line message as one event with \r for each newline; give the newlines back.
        message: raw.message.replace(/\r?\n$/, '').replace(/\r\n?/g, '\n'),
        requestId,
        kind: parsed.kind,
        errorType: parsed.errorType,
      },
    };
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

const maxStackLines = 10;

interface Incident { requestId: string | null; ts: string; errorType: string | null; message: string; stack: readonly string[]; detailed: boolean }

/**
 * The health of a function over a window, from its log events (oldest first): invocations and
 * durations from REPORT lines, cold starts from REPORTs with an Init Duration, errors as the
 * invocations that failed (an error line, or a REPORT with Status error/timeout; counted once
 * each) plus errors outside any invocation, and the last error with its first stack lines.
 */
export function summarise(events: readonly RecognisedEvent[], window: { from: Date; to: Date }, logGroup: string): FunctionHealth {
  const durations: number[] = [];
  let invocations = 0;
  let coldStarts = 0;
  const incidents = new Map<string, Incident>();
  let anonymous = 0;
  // An init error logged before its invocation's START (outside any request) belongs to the next START in that stream.
  const pending = new Map<string, string[]>();

  const incidentOf = (key: string, init: Incident): Incident => {
    let inc = incidents.get(key);
    if (!inc) { inc = init; incidents.set(key, inc); }
    return inc;
  };

  for (const { event, parsed } of events) {
    if (parsed.kind === 'start' && event.requestId) {
      for (const key of pending.get(event.stream) ?? []) {
        const inc = incidents.get(key);
        if (!inc) continue;
        incidents.delete(key);
        const existing = incidents.get(event.requestId);
        // The invocation's own error line (if any) is as detailed; keep whichever came first.
        if (!existing) incidents.set(event.requestId, { ...inc, requestId: event.requestId });
      }
      pending.delete(event.stream);
      continue;
    }
    if (parsed.kind === 'report') {
      invocations += 1;
      const r = parsed.report;
      if (r?.durationMs !== null && r?.durationMs !== undefined) durations.push(r.durationMs);
      if (r?.initDurationMs !== null && r?.initDurationMs !== undefined) coldStarts += 1;
      if (event.requestId && (parsed.errorType || (r?.status && r.status !== 'success'))) {
        const inc = incidentOf(event.requestId, {
          requestId: event.requestId, ts: event.ts, errorType: parsed.errorType, message: `The invocation ended with Status: ${r?.status ?? 'error'}${parsed.errorType ? ` (${parsed.errorType})` : ''}`, stack: [], detailed: false,
        });
        // "Runtime exited" names no cause; the REPORT's Error Type (Runtime.OutOfMemory) does.
        if (parsed.errorType && (inc.errorType === null || inc.errorType === 'Runtime.ExitError')) inc.errorType = parsed.errorType;
      }
      continue;
    }
    if (parsed.kind !== 'error') continue;
    const detail = { ts: event.ts, errorType: parsed.errorType, message: parsed.error?.message ?? event.message, stack: (parsed.error?.stack ?? []).slice(0, maxStackLines), detailed: true };
    if (event.requestId) {
      const inc = incidents.get(event.requestId);
      if (!inc) incidents.set(event.requestId, { requestId: event.requestId, ...detail });
      else if (!inc.detailed) Object.assign(inc, detail, { errorType: inc.errorType ?? detail.errorType });
    } else {
      const key = `#${anonymous++}`;
      incidents.set(key, { requestId: null, ...detail });
      pending.set(event.stream, [...(pending.get(event.stream) ?? []), key]);
    }
  }

  durations.sort((a, b) => a - b);
  let last: Incident | undefined;
  for (const inc of incidents.values()) if (!last || inc.ts >= last.ts) last = inc;
  const lastError: FunctionError | null = last
    ? { requestId: last.requestId, ts: last.ts, errorType: last.errorType, message: last.message, stack: [...last.stack] }
    : null;
  return {
    logGroup,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    invocations,
    errors: incidents.size,
    coldStarts,
    durationMs: durations.length ? { p50: percentile(durations, 50), p99: percentile(durations, 99) } : null,
    lastError,
  };
}

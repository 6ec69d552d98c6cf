/**
 * Pure parts of the function commands (`logs`, `info`, `invoke`): checking `--since`, and turning
 * the engine's log events and health summary into lines like `serverless logs` prints (time,
 * request id, message), errors in red when the output is a terminal.
 */
import pc from 'picocolors';
import { HangarError, parseSince as sinceStart } from '@hangar/core';
import type { FunctionError, FunctionHealth, FunctionLogEvent } from '@hangar/core/api';

export type Colors = ReturnType<typeof pc.createColors>;
export const colorsFor = (out: { isTTY?: boolean }): Colors => pc.createColors(out.isTTY === true);

/**
 * `--since`: a relative age (`30s`, `10m`, `2h`, `7d`) or an ISO-8601 time (the engine's rule,
 * from core), checked here so a typo fails before any request. Returns the value as the engine takes it.
 */
export function parseSince(value: string | undefined, flag = '--since', now = new Date()): string | undefined {
  if (value === undefined) return undefined;
  const at = sinceStart(value, now);
  if (!at) throw sinceError(flag, value, 'is not a time');
  if (at.getTime() > now.getTime() + 60_000) throw sinceError(flag, value, 'is in the future');
  return value.trim();
}

function sinceError(flag: string, value: string, why: string): HangarError {
  return new HangarError('VALIDATION_FAILED', `${flag}: ${JSON.stringify(value)} ${why}; expected a relative age such as 30s, 10m, 2h or 7d, or an ISO-8601 time such as 2026-12-01T09:30:00Z.`, {
    details: { field: flag, value },
  });
}

/** `2026-12-01T10:00:00.123Z` → `2026-12-01 10:00:00.123` (UTC, as Lambda writes it). */
function formatTime(ts: string): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toISOString().replace('T', ' ').replace(/Z$/, '');
}

/** Lambda's Node runtime writes `<time>\t<request id>\t<LEVEL>\t<message>`: the first two are already in their columns. */
function stripRuntimePrefix(message: string, requestId: string | null): string {
  let m = message.replace(/\r?\n$/, '');
  const tabs = m.split('\t');
  if (tabs.length >= 3 && /^\d{4}-\d{2}-\d{2}T/.test(tabs[0]!) && (requestId === null || tabs[1] === requestId)) {
    m = tabs.slice(2).join('\t');
  }
  if (requestId) m = m.replace(` RequestId: ${requestId}`, '').replace(`RequestId: ${requestId}\t`, '').replace(`RequestId: ${requestId}`, '');
  return m.replace(/^(INFO|WARN|ERROR|DEBUG|TRACE|FATAL)\t/, '$1 ').replace(/\t+$/, '');
}

/** The runtime's JSON error record (`Invoke Error \t{"errorType":…,"stack":[…]}`) as `Type: message` and stack lines. */
function expandErrorRecord(message: string): string {
  const start = message.indexOf('{"errorType"');
  if (start < 0) return message;
  try {
    const rec = JSON.parse(message.slice(start)) as { errorType?: string; errorMessage?: string; stack?: string[] };
    const head = `${rec.errorType ?? 'Error'}: ${rec.errorMessage ?? ''}`;
    const stack = (rec.stack ?? []).filter((l, i) => !(i === 0 && l.trim() === head.trim()));
    return [`${message.slice(0, start).trim()} ${head}`.trim(), ...stack.map((l) => `    ${l.trim()}`)].join('\n');
  } catch {
    return message;
  }
}

const REQUEST_ID_WIDTH = 36;

/** One event as one or more lines: a multi-line message continues indented under it (its own indentation kept, a stack's evened out). */
export function formatLogEvent(e: FunctionLogEvent, c: Colors): string {
  let message = stripRuntimePrefix(e.message, e.requestId);
  if (e.kind === 'error') message = expandErrorRecord(message);
  else if (e.kind !== 'log') message = message.replace(/\t+/g, '  ');
  const [first = '', ...rest] = message.split('\n');
  const id = (e.requestId ?? '').padEnd(REQUEST_ID_WIDTH);
  const paint = e.kind === 'error' ? c.red : e.kind === 'log' ? (s: string) => s : c.dim;
  const lines = [`${c.dim(formatTime(e.ts))}  ${c.dim(id)}  ${paint(first)}`, ...rest.map((l) => paint(`    ${e.kind === 'error' ? l.replace(/^\s+/, '') : l}`))];
  return `${lines.join('\n')}\n`;
}

/**
 * One line of an invocation's log tail (LogType: Tail, plain text): the request id is the
 * invocation's, so only the message is kept; an error record is expanded; errors in red.
 */
export function formatTailLine(line: string, requestId: string | null, c: Colors): string {
  const meta = /^(START|END|REPORT|INIT_START|INIT_REPORT) /.test(line);
  const error = !meta && (/^\S+\t\S+\tERROR\t/.test(line) || /^(Runtime\.|Task timed out|\{"errorType")/.test(line) || /^\d{4}-\d\d-\d\dT\S+\t\S+\t(Invoke Error|Uncaught Exception|Unhandled Promise Rejection)/.test(line));
  let message = stripRuntimePrefix(line, requestId);
  if (error) message = expandErrorRecord(message);
  if (meta) message = message.replace(/\t+/g, '  ').trim();
  const paint = error ? c.red : meta ? c.dim : (t: string) => t;
  return message.split('\n').map((l, i) => paint(i === 0 ? l : `    ${l.replace(/^\s+/, '')}`)).join('\n');
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const ms = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n * 10) / 10} ms`);

/** The function's error with its request id, time and first stack lines. */
export function formatFunctionError(e: FunctionError, c: Colors, indent = '  '): string[] {
  const head = e.errorType && !e.message.startsWith(e.errorType) ? `${e.errorType}: ${e.message}` : e.message;
  return [
    `${indent}${c.red(head)}`,
    `${indent}  request ${e.requestId ?? 'unknown'} at ${formatTime(e.ts)}`,
    ...e.stack.slice(0, 5).filter((l) => l.trim() !== head.trim()).map((l) => `${indent}  ${c.dim(l.trim())}`),
  ];
}

/** The `hangar info` block: counts for the window and the last error. */
export function formatHealth(h: FunctionHealth, c: Colors): string[] {
  const errors = h.errors > 0 ? c.red(plural(h.errors, 'error')) : plural(h.errors, 'error');
  const durations = h.durationMs ? `, p50 ${ms(h.durationMs.p50)}, p99 ${ms(h.durationMs.p99)}` : '';
  const out = [`function (${windowName(h)}): ${plural(h.invocations, 'invocation')}, ${errors}${durations}, ${plural(h.coldStarts, 'cold start')}  [${h.logGroup}]`];
  if (h.lastError) out.push('last error:', ...formatFunctionError(h.lastError, c));
  return out;
}

function windowName(h: FunctionHealth): string {
  const span = Date.parse(h.window.to) - Date.parse(h.window.from);
  if (Number.isNaN(span)) return 'recent';
  if (Math.abs(span - 3_600_000) < 60_000) return 'last hour';
  return `since ${formatTime(h.window.from)}`;
}

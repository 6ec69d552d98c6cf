/**
 * CloudWatch Logs operations (awsJson1_1, `X-Amz-Target: Logs_20140328.<Operation>`).
 * Each takes the parsed input and answers the output shape AWS answers.
 */
import { AwsError } from '../internal/contract.js';
import { fieldReader } from '../lambda/rest.js';
import { matchesFilter, parseFilterPattern } from './filter-pattern.js';
import type { JournalRecord } from './journal.js';
import {
  appendEvents, ensureGroup, ensureStream, groupsOf, scopeKey, storedBytes,
  type LogGroup, type LogsState, type LogStream, type Scope,
} from './store.js';

export interface LogsOpContext {
  readonly state: LogsState;
  readonly scope: Scope;
  readonly now: number;
  /** rt.authorize bound to the caller. */
  authorize(action: string, resource: string): void;
  /** Records a change for the data dir. */
  journal(rec: JournalRecord): void;
}

type Input = Record<string, unknown>;
type Op = (ctx: LogsOpContext, input: Input) => unknown;

const invalid = (m: string) => new AwsError('InvalidParameterException', m);
const f = fieldReader(invalid);
const groupMissing = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamMissing = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');

export const groupArn = (s: Scope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;

function groupName(input: Input): string {
  const id = f.str(input, 'logGroupIdentifier');
  const name = f.str(input, 'logGroupName') ?? (id?.startsWith('arn:') ? id.split(':log-group:')[1]?.replace(/:\*$/, '') : id);
  if (!name) throw invalid('1 validation error detected: Value null at \'logGroupName\' failed to satisfy constraint: Member must not be null');
  if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  }
  return name;
}

function findGroup(ctx: LogsOpContext, name: string): LogGroup {
  const g = groupsOf(ctx.state, ctx.scope)[name];
  if (!g) throw groupMissing();
  return g;
}

function findStream(g: LogGroup, name: string | undefined): LogStream {
  const s = name === undefined ? undefined : g.streams[name];
  if (!s) throw streamMissing();
  return s;
}

function limitOf(input: Input, max: number): number {
  const n = f.num(input, 'limit') ?? max;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw invalid(`1 validation error detected: Value '${n}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
  return n;
}

const token = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
function untoken<T>(t: string | undefined): T | undefined {
  if (t === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as T;
  } catch {
    throw invalid('The specified nextToken is invalid.');
  }
}

function describeGroups(ctx: LogsOpContext, input: Input) {
  ctx.authorize('logs:DescribeLogGroups', `arn:aws:logs:${ctx.scope.region}:${ctx.scope.accountId}:log-group:*`);
  const prefix = f.str(input, 'logGroupNamePrefix') ?? '';
  const limit = limitOf(input, 50);
  const after = untoken<string>(f.str(input, 'nextToken'));
  const names = Object.keys(groupsOf(ctx.state, ctx.scope)).filter((n) => n.startsWith(prefix) && (after === undefined || n > after)).sort();
  const page = names.slice(0, limit);
  const logGroups = page.map((n) => {
    const g = findGroup(ctx, n);
    return {
      logGroupName: n, creationTime: g.creationTime, metricFilterCount: 0,
      ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
      arn: `${groupArn(ctx.scope, n)}:*`, logGroupArn: groupArn(ctx.scope, n), storedBytes: storedBytes(g), logGroupClass: 'STANDARD',
    };
  });
  return { logGroups, ...(names.length > limit ? { nextToken: token(page.at(-1)) } : {}) };
}

function describeStreams(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:DescribeLogStreams', `${groupArn(ctx.scope, name)}:*`);
  const g = findGroup(ctx, name);
  const prefix = f.str(input, 'logStreamNamePrefix');
  const orderBy = f.str(input, 'orderBy') ?? 'LogStreamName';
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalid(`1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
  if (prefix !== undefined && orderBy === 'LastEventTime') throw invalid('Cannot order by LastEventTime with a logStreamNamePrefix.');
  const limit = limitOf(input, 50);
  const offset = untoken<number>(f.str(input, 'nextToken')) ?? 0;
  const last = (s: LogStream) => s.events.at(-1)?.timestamp ?? 0;
  const all = Object.values(g.streams).filter((s) => prefix === undefined || s.name.startsWith(prefix))
    .sort(orderBy === 'LogStreamName' ? (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : (a, b) => last(a) - last(b));
  if (f.bool(input, 'descending')) all.reverse();
  const page = all.slice(offset, offset + limit);
  const logStreams = page.map((s) => ({
    logStreamName: s.name, creationTime: s.creationTime,
    ...(s.events.length ? { firstEventTimestamp: s.events[0]?.timestamp, lastEventTimestamp: last(s) } : {}),
    ...(s.lastIngestionTime ? { lastIngestionTime: s.lastIngestionTime } : {}),
    uploadSequenceToken: String(s.dropped + s.events.length + 1).padStart(20, '4'),
    arn: `${groupArn(ctx.scope, name)}:log-stream:${s.name}`, storedBytes: 0,
  }));
  return { logStreams, ...(offset + limit < all.length ? { nextToken: token(offset + limit) } : {}) };
}

function getEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const streamName = f.str(input, 'logStreamName');
  ctx.authorize('logs:GetLogEvents', `${groupArn(ctx.scope, name)}:log-stream:${streamName ?? ''}`);
  const s = findStream(findGroup(ctx, name), streamName);
  const limit = limitOf(input, 10_000);
  const start = f.num(input, 'startTime');
  const end = f.num(input, 'endTime');
  const inRange = (e: { timestamp: number }) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp < end);
  const t = f.str(input, 'nextToken');
  const m = t ? /^([fb])\/(\d+)$/.exec(t) : null;
  if (t && !m) throw invalid('The specified nextToken is invalid.');
  // Absolute positions (dropped + index) keep tokens valid while old events are trimmed.
  const base = s.dropped;
  const idx = s.events.map((e, i) => (inRange(e) ? base + i : -1)).filter((i) => i >= 0);
  let from: number;
  let to: number;
  if (m && m[1] === 'f') {
    const pos = Number(m[2]);
    const first = idx.findIndex((i) => i >= pos);
    from = first < 0 ? idx.length : first;
    to = Math.min(idx.length, from + limit);
  } else if (m) {
    const pos = Number(m[2]);
    const firstAfter = idx.findIndex((i) => i >= pos);
    to = firstAfter < 0 ? idx.length : firstAfter;
    from = Math.max(0, to - limit);
  } else if (f.bool(input, 'startFromHead')) {
    from = 0;
    to = Math.min(idx.length, limit);
  } else {
    to = idx.length;
    from = Math.max(0, to - limit);
  }
  const picked = idx.slice(from, to);
  const events = picked.map((i) => {
    const e = s.events[i - base] as { timestamp: number; message: string; ingestionTime: number };
    return { timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime };
  });
  const fwd = picked.length ? (picked.at(-1) as number) + 1 : m && m[1] === 'f' ? Number(m[2]) : base + s.events.length;
  const back = picked.length ? (picked[0] as number) : m && m[1] === 'b' ? Number(m[2]) : base;
  return { events, nextForwardToken: `f/${String(fwd).padStart(56, '0')}`, nextBackwardToken: `b/${String(back).padStart(56, '0')}` };
}

function filterEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:FilterLogEvents', `${groupArn(ctx.scope, name)}:*`);
  const g = findGroup(ctx, name);
  const names = input.logStreamNames;
  if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) throw invalid('logStreamNames: expected a list of strings');
  const prefix = f.str(input, 'logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined) throw invalid('Cannot specify both logStreamNames and logStreamNamePrefix.');
  const pattern = parseFilterPattern(f.str(input, 'filterPattern') ?? '');
  if ('error' in pattern) throw invalid(pattern.error);
  const start = f.num(input, 'startTime');
  const end = f.num(input, 'endTime');
  const limit = limitOf(input, 10_000);
  const offset = untoken<number>(f.str(input, 'nextToken')) ?? 0;
  const streams = Object.values(g.streams).filter((s) =>
    (names === undefined || (names as string[]).includes(s.name)) && (prefix === undefined || s.name.startsWith(prefix)));
  const all = streams.flatMap((s) => s.events.map((e, i) => ({ s, e, i })))
    .filter(({ e }) => (start === undefined || e.timestamp >= start) && (end === undefined || e.timestamp <= end) && matchesFilter(pattern, e.message))
    .sort((a, b) => a.e.timestamp - b.e.timestamp);
  const page = all.slice(offset, offset + limit);
  return {
    events: page.map(({ s, e, i }) => ({
      logStreamName: s.name, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime,
      eventId: `${e.timestamp}${String(s.dropped + i).padStart(20, '0')}`.padStart(56, '3'),
    })),
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(offset + limit < all.length ? { nextToken: token(offset + limit) } : {}),
  };
}

function createGroup(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:CreateLogGroup', `${groupArn(ctx.scope, name)}:*`);
  if (groupsOf(ctx.state, ctx.scope)[name]) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  ensureGroup(ctx.state, ctx.scope, name, ctx.now);
  ctx.journal({ op: 'group', k: scopeKey(ctx.scope), g: name, t: ctx.now });
  return {};
}

function deleteGroup(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:DeleteLogGroup', `${groupArn(ctx.scope, name)}:*`);
  findGroup(ctx, name);
  delete groupsOf(ctx.state, ctx.scope)[name];
  ctx.journal({ op: 'delete-group', k: scopeKey(ctx.scope), g: name });
  return {};
}

function createStream(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const stream = f.str(input, 'logStreamName');
  if (!stream || /[:*]/.test(stream)) throw invalid(`1 validation error detected: Value '${stream ?? 'null'}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  ctx.authorize('logs:CreateLogStream', `${groupArn(ctx.scope, name)}:log-stream:${stream}`);
  const g = findGroup(ctx, name);
  if (g.streams[stream]) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  ensureStream(g, stream, ctx.now);
  ctx.journal({ op: 'stream', k: scopeKey(ctx.scope), g: name, s: stream, t: ctx.now });
  return {};
}

function putEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const streamName = f.str(input, 'logStreamName');
  ctx.authorize('logs:PutLogEvents', `${groupArn(ctx.scope, name)}:log-stream:${streamName ?? ''}`);
  const s = findStream(findGroup(ctx, name), streamName);
  const raw = input.logEvents;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10_000) throw invalid('1 validation error detected: Value at \'logEvents\' failed to satisfy constraint: Member must have length between 1 and 10000');
  const events = raw.map((e: unknown) => {
    const o = (e ?? {}) as Input;
    const timestamp = f.num(o, 'timestamp');
    const message = f.str(o, 'message');
    if (timestamp === undefined || message === undefined) throw invalid('Each log event needs a timestamp and a message.');
    return { timestamp, message };
  });
  for (let i = 1; i < events.length; i++) {
    if ((events[i] as { timestamp: number }).timestamp < (events[i - 1] as { timestamp: number }).timestamp) {
      throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
    }
  }
  appendEvents(s, events, ctx.now);
  ctx.journal({ op: 'events', k: scopeKey(ctx.scope), g: name, s: s.name, i: ctx.now, e: events.map((e) => [e.timestamp, e.message]) });
  return { nextSequenceToken: String(s.dropped + s.events.length + 1).padStart(56, '4') };
}

function deleteStream(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const stream = f.str(input, 'logStreamName');
  ctx.authorize('logs:DeleteLogStream', `${groupArn(ctx.scope, name)}:log-stream:${stream ?? ''}`);
  const g = findGroup(ctx, name);
  findStream(g, stream);
  delete g.streams[stream as string];
  ctx.journal({ op: 'delete-stream', k: scopeKey(ctx.scope), g: name, s: stream as string });
  return {};
}

function putRetention(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:PutRetentionPolicy', `${groupArn(ctx.scope, name)}:*`);
  const days = f.num(input, 'retentionInDays');
  const allowed = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
  if (days === undefined || !allowed.includes(days)) throw invalid(`1 validation error detected: Value '${days ?? 'null'}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  findGroup(ctx, name).retentionInDays = days;
  ctx.journal({ op: 'retention', k: scopeKey(ctx.scope), g: name, d: days });
  return {};
}

export const logsOperations: Readonly<Record<string, Op>> = {
  DescribeLogGroups: describeGroups,
  DescribeLogStreams: describeStreams,
  GetLogEvents: getEvents,
  FilterLogEvents: filterEvents,
  CreateLogGroup: createGroup,
  DeleteLogGroup: deleteGroup,
  CreateLogStream: createStream,
  DeleteLogStream: deleteStream,
  PutLogEvents: putEvents,
  PutRetentionPolicy: putRetention,
};

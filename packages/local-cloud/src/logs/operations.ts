/**
 * CloudWatch Logs operations (awsJson1_1, `X-Amz-Target: Logs_20140328.<Operation>`).
 * Each takes the parsed input and answers the output shape AWS answers.
 */
import { createHash } from 'node:crypto';
import { AwsError } from '../internal/contract.js';
import {
  f, findGroup, findStream, groupActionArn, groupArn, groupName, invalid, limitOf, streamArn, token, untoken,
  type Input, type LogsOpContext, type Op,
} from './context.js';
import { matchesFilter, parseFilterPattern } from './filter-pattern.js';
import {
  appendEvents, ensureGroup, ensureStream, groupsOf, retainedFrom, scopeKey, storedBytes, type LogStream,
} from './store.js';
import { readTags, taggingOperations } from './tagging.js';

export type { LogsOpContext } from './context.js';
export { groupArn } from './context.js';

function describeGroups(ctx: LogsOpContext, input: Input) {
  // AWS checks DescribeLogGroups against `log-group::log-stream:`: only `log-group:*` (or `*`) allows it.
  ctx.authorize('logs:DescribeLogGroups', groupActionArn(ctx.scope, ''));
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
  ctx.authorize('logs:DescribeLogStreams', groupActionArn(ctx.scope, name));
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
    arn: streamArn(ctx.scope, name, s.name), storedBytes: 0,
  }));
  return { logStreams, ...(offset + limit < all.length ? { nextToken: token(offset + limit) } : {}) };
}

function getEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const streamName = f.str(input, 'logStreamName');
  ctx.authorize('logs:GetLogEvents', streamArn(ctx.scope, name, streamName ?? ''));
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

/** Ten digits standing for a stream, so event ids are unique across a group's streams. */
function streamKey(name: string): string {
  return String(createHash('sha256').update(name).digest().readUInt32BE(0)).padStart(10, '0');
}

/**
 * A 56-digit event id, unique in its group and ordered as FilterLogEvents answers: by
 * timestamp, then stream, then arrival in the stream. It does not change when an older event
 * arrives later (unlike its position).
 */
function eventIdOf(timestamp: number, streamKeyDigits: string, seq: number): string {
  return `${String(timestamp).padStart(16, '0')}${streamKeyDigits}${String(seq).padStart(20, '0')}`.padStart(56, '3');
}

function filterEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:FilterLogEvents', groupActionArn(ctx.scope, name));
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
  // The token is the last event id answered, so paging is stable while events keep arriving.
  const after = untoken<{ after?: unknown }>(f.str(input, 'nextToken'))?.after;
  if (after !== undefined && typeof after !== 'string') throw invalid('The specified nextToken is invalid.');
  const streams = Object.values(g.streams).filter((s) =>
    (names === undefined || (names as string[]).includes(s.name)) && (prefix === undefined || s.name.startsWith(prefix)));
  const all = streams.flatMap((s) => {
    const key = streamKey(s.name);
    return s.events.flatMap((e) => {
      if ((start !== undefined && e.timestamp < start) || (end !== undefined && e.timestamp > end)) return [];
      const eventId = eventIdOf(e.timestamp, key, e.seq);
      if (after !== undefined && eventId <= after) return [];
      return matchesFilter(pattern, e.message) ? [{ s, e, eventId }] : [];
    });
  }).sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const page = all.slice(0, limit);
  return {
    events: page.map(({ s, e, eventId }) => ({
      logStreamName: s.name, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId,
    })),
    searchedLogStreams: streams.map((s) => ({ logStreamName: s.name, searchedCompletely: true })),
    ...(all.length > limit ? { nextToken: token({ after: page.at(-1)?.eventId }) } : {}),
  };
}

function createGroup(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:CreateLogGroup', groupActionArn(ctx.scope, name));
  const tags = readTags(input, 'tags');
  if (tags) {
    // Tagging at creation needs logs:TagResource as well; AWS answers its own message for it.
    try {
      ctx.authorize('logs:TagResource', groupArn(ctx.scope, name));
    } catch (e) {
      if (!(e instanceof AwsError) || !/AccessDenied/.test(e.code)) throw e;
      throw new AwsError('AccessDeniedException', `User with accountId: ${ctx.callerAccount} is not authorized to perform CreateLogGroup with Tags. An additional permission "logs:TagResource" is required.`, 400);
    }
  }
  if (groupsOf(ctx.state, ctx.scope)[name]) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  const g = ensureGroup(ctx.state, ctx.scope, name, ctx.now);
  ctx.journal({ op: 'group', k: scopeKey(ctx.scope), g: name, t: ctx.now });
  if (tags) {
    g.tags = tags;
    ctx.journal({ op: 'tags', k: scopeKey(ctx.scope), g: name, tags });
  }
  return {};
}

function deleteGroup(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  ctx.authorize('logs:DeleteLogGroup', groupActionArn(ctx.scope, name));
  findGroup(ctx, name);
  delete groupsOf(ctx.state, ctx.scope)[name];
  ctx.journal({ op: 'delete-group', k: scopeKey(ctx.scope), g: name });
  return {};
}

function createStream(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const stream = f.str(input, 'logStreamName');
  if (!stream || /[:*]/.test(stream)) throw invalid(`1 validation error detected: Value '${stream ?? 'null'}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  ctx.authorize('logs:CreateLogStream', streamArn(ctx.scope, name, stream));
  const g = findGroup(ctx, name);
  if (g.streams[stream]) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  ensureStream(g, stream, ctx.now);
  ctx.journal({ op: 'stream', k: scopeKey(ctx.scope), g: name, s: stream, t: ctx.now });
  return {};
}

function putEvents(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const streamName = f.str(input, 'logStreamName');
  ctx.authorize('logs:PutLogEvents', streamArn(ctx.scope, name, streamName ?? ''));
  const g = findGroup(ctx, name);
  const s = findStream(g, streamName);
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
  // Events older than the group's retention are refused, and said so, as CloudWatch does.
  const from = retainedFrom(g, ctx.now);
  const expired = from === undefined ? 0 : events.findIndex((e) => e.timestamp >= from);
  const kept = expired < 0 ? [] : events.slice(expired);
  const rejected = expired !== 0 ? { rejectedLogEventsInfo: { expiredLogEventEndIndex: (expired < 0 ? events.length : expired) - 1 } } : {};
  appendEvents(s, kept, ctx.now);
  if (kept.length) ctx.journal({ op: 'events', k: scopeKey(ctx.scope), g: name, s: s.name, i: ctx.now, e: kept.map((e) => [e.timestamp, e.message]) });
  return { nextSequenceToken: String(s.dropped + s.events.length + 1).padStart(56, '4'), ...rejected };
}

function deleteStream(ctx: LogsOpContext, input: Input) {
  const name = groupName(input);
  const stream = f.str(input, 'logStreamName');
  ctx.authorize('logs:DeleteLogStream', streamArn(ctx.scope, name, stream ?? ''));
  const g = findGroup(ctx, name);
  findStream(g, stream);
  delete g.streams[stream as string];
  ctx.journal({ op: 'delete-stream', k: scopeKey(ctx.scope), g: name, s: stream as string });
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
  ...taggingOperations,
};

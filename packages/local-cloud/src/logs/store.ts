/**
 * CloudWatch Logs state: log groups and streams per account and region. Plain data so that
 * snapshot() is JSON; the operations and Lambda's log writer both go through these functions.
 */

export interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
  /** Order of arrival in its stream: with the timestamp, what makes its event id. */
  readonly seq: number;
}

export interface LogStream {
  readonly name: string;
  readonly creationTime: number;
  events: LogEvent[];
  /** Events dropped from the front to bound memory; keeps token offsets stable. */
  dropped: number;
  /** The next event's `seq`. */
  nextSeq?: number;
  lastIngestionTime?: number;
}

export interface LogGroup {
  readonly name: string;
  readonly creationTime: number;
  retentionInDays?: number;
  /** Tags (TagResource / CreateLogGroup `tags`). */
  tags?: Record<string, string>;
  streams: Record<string, LogStream>;
}

/** accountId/region -> group name -> group. */
export interface LogsState {
  scopes: Record<string, Record<string, LogGroup>>;
}

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

/** Oldest events are dropped past this many per stream, so a chatty function cannot exhaust memory. */
export const MAX_EVENTS_PER_STREAM = 20_000;

export const scopeKey = (s: Scope): string => `${s.accountId}/${s.region}`;

export function groupsOf(state: LogsState, scope: Scope): Record<string, LogGroup> {
  const key = scopeKey(scope);
  return (state.scopes[key] ??= {});
}

export function ensureGroup(state: LogsState, scope: Scope, name: string, now: number): LogGroup {
  const groups = groupsOf(state, scope);
  return (groups[name] ??= { name, creationTime: now, streams: {} });
}

export function ensureStream(group: LogGroup, name: string, now: number): LogStream {
  return (group.streams[name] ??= { name, creationTime: now, events: [], dropped: 0 });
}

/** Appends events (kept in timestamp order, as CloudWatch returns them) and trims the oldest. */
export function appendEvents(stream: LogStream, events: readonly { timestamp: number; message: string }[], now: number): void {
  if (events.length === 0) return;
  for (const e of events) {
    const seq = stream.nextSeq ?? stream.dropped + stream.events.length;
    stream.nextSeq = seq + 1;
    stream.events.push({ timestamp: e.timestamp, message: e.message, ingestionTime: now, seq });
  }
  const n = stream.events.length;
  if (n > 1 && (stream.events[n - 1] as LogEvent).timestamp < (stream.events[n - 1 - events.length]?.timestamp ?? 0)) {
    stream.events.sort((a, b) => a.timestamp - b.timestamp);
  }
  stream.lastIngestionTime = now;
  const over = stream.events.length - MAX_EVENTS_PER_STREAM;
  if (over > 0) {
    stream.events.splice(0, over);
    stream.dropped += over;
  }
}

const DAY_MS = 86_400_000;

/** The oldest timestamp a group's retention keeps at `now` (undefined: kept forever). */
export function retainedFrom(group: LogGroup, now: number): number | undefined {
  return group.retentionInDays ? now - group.retentionInDays * DAY_MS : undefined;
}

/**
 * Drops the events older than the group's retention from every stream, as CloudWatch deletes
 * expired events. Returns how many were dropped. Streams stay (AWS keeps empty streams too).
 */
export function purgeExpired(group: LogGroup, now: number): number {
  const from = retainedFrom(group, now);
  if (from === undefined) return 0;
  let n = 0;
  for (const s of Object.values(group.streams)) {
    // Events are kept in timestamp order: the expired ones are a prefix.
    let i = 0;
    while (i < s.events.length && (s.events[i] as LogEvent).timestamp < from) i++;
    if (i > 0) {
      s.events.splice(0, i);
      s.dropped += i;
      n += i;
    }
  }
  return n;
}

export function storedBytes(group: LogGroup): number {
  let n = 0;
  for (const s of Object.values(group.streams)) for (const e of s.events) n += Buffer.byteLength(e.message) + 26;
  return n;
}

/**
 * GET /instances/:id/logs/events as server-sent events: the backlog since `since`, a `live`
 * event, then new lines as CloudWatch Logs has them, polled every `pollMs` with one cached
 * session. Each poll re-reads a short overlap (late-arriving events) and drops event ids already
 * sent. `Last-Event-ID` resumes after the last event a client saw; a comment line keeps idle
 * connections open; the poll stops when the client goes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { errorCodes, HangarError } from '@hangar/core';
import type { FunctionLogStreamEvent } from '@hangar/core/api';
import type { Clock, Logger } from '../types.js';
import { filterPage, readEvents } from './cloud.js';
import { createRecogniser, type RawLogEvent } from './recognise.js';
import type { FunctionTarget } from './target.js';

export interface StreamOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often CloudWatch Logs is polled for new lines; default 500 ms. */
  readonly pollMs?: number;
  /** A comment line after this much silence; default 15 s. */
  readonly heartbeatMs?: number;
  /** Each poll re-reads this far back, for events that arrive late; default 15 s. */
  readonly overlapMs?: number;
  /** How often the instance is looked at again (removed → the stream ends); default 5 s. */
  readonly recheckMs?: number;
  /** Most backlog lines sent before `live`; default 1000. */
  readonly backlogLimit?: number;
  /** Aborted when the engine stops: open streams end so the server can close. */
  readonly stopping?: AbortSignal;
}

export interface StreamSource {
  readonly target: FunctionTarget;
  readonly client: CloudWatchLogsClient;
  /** Throws (FUNCTION_NOT_DEPLOYED…) when the stream cannot go on. */
  recheck(): Promise<void>;
}

/** SSE ids are `<timestamp>.<eventId>`, so a resumed stream knows where to start reading. */
export function sseId(e: RawLogEvent): string {
  return `${e.timestamp}.${e.eventId}`;
}

export function parseSseId(v: string | undefined): { timestamp: number; eventId: string } | undefined {
  const m = v ? /^(\d{1,16})\.(\S{1,128})$/.exec(v) : null;
  return m ? { timestamp: Number(m[1]), eventId: m[2]! } : undefined;
}

function frame(e: FunctionLogStreamEvent, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

const transientLimit = 5;

export async function streamFunctionLogs(
  opts: StreamOptions, request: FastifyRequest, reply: FastifyReply, source: StreamSource,
  q: { startTime: number; filterPattern?: string | undefined },
): Promise<void> {
  const { clock } = opts;
  const pollMs = opts.pollMs ?? 500;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const overlapMs = opts.overlapMs ?? 15_000;
  const recheckMs = opts.recheckMs ?? 5_000;
  const { target: t, client } = source;
  const header = request.headers['last-event-id'];
  const resume = parseSseId(Array.isArray(header) ? header[0] : header);
  // Before the stream opens, so a refused filter or a denied read is an ordinary error reply.
  const backlog = await readEvents(client, t, {
    startTime: resume ? resume.timestamp : q.startTime, filterPattern: q.filterPattern, limit: opts.backlogLimit ?? 1000, maxPages: 5,
  });

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 1000\n\n');
  const abort = new AbortController();
  let wakeup: (() => void) | undefined;
  const onClose = () => { abort.abort(); wakeup?.(); };
  raw.on('close', onClose);
  opts.stopping?.addEventListener('abort', onClose);
  if (opts.stopping?.aborted) onClose();
  const closed = () => abort.signal.aborted;
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    if (closed()) return resolve();
    const timer = setTimeout(() => { wakeup = undefined; resolve(); }, ms);
    wakeup = () => { clearTimeout(timer); wakeup = undefined; resolve(); };
  });

  const recognise = createRecogniser();
  /** Ids sent, with their timestamps, so old ones can be forgotten once outside the overlap. */
  const sent = new Map<string, number>();
  // Keyed by stream too: event ids are unique in AWS, but nothing is lost by not relying on it.
  const key = (e: RawLogEvent) => `${e.logStreamName}\u0000${e.eventId}`;
  let newest = resume ? resume.timestamp : q.startTime;
  let lastWrite = clock.now().getTime();
  let skipUntil = resume?.eventId;

  const send = (events: readonly RawLogEvent[]) => {
    for (const e of events) {
      if (sent.has(key(e))) continue;
      if (resume && e.timestamp < resume.timestamp) continue;
      if (skipUntil !== undefined && e.timestamp === resume?.timestamp) {
        // Lines of the resumed millisecond up to the last one the client saw were sent before.
        sent.set(key(e), e.timestamp);
        if (e.eventId === skipUntil) skipUntil = undefined;
        continue;
      }
      const r = recognise(e);
      sent.set(key(e), e.timestamp);
      if (e.timestamp > newest) newest = e.timestamp;
      raw.write(frame({ event: 'log', data: r.event }, sseId(e)));
      lastWrite = clock.now().getTime();
    }
  };
  /** Ids older than the next read's start cannot come back: forget them. */
  const forgetBefore = (from: number) => { for (const [id, ts] of sent) if (ts < from) sent.delete(id); };

  try {
    send(backlog.events);
    skipUntil = undefined;
    raw.write(frame({ event: 'live', data: { logGroup: t.logGroup } }));
    let failures = 0;
    let lastCheck = clock.now().getTime();
    let lastPoll = lastCheck;
    while (!closed()) {
      await sleep(pollMs);
      if (closed()) break;
      const now = clock.now().getTime();
      // From the newest line seen (the cloud's clock) or the last poll (ours), whichever is earlier, less the overlap.
      const from = Math.max(q.startTime, Math.min(newest, lastPoll) - overlapMs);
      forgetBefore(from);
      try {
        if (now - lastCheck >= recheckMs) {
          lastCheck = now;
          await source.recheck();
        }
        let nextToken: string | undefined;
        let pages = 0;
        do {
          const page = await filterPage(client, t, { startTime: from, filterPattern: q.filterPattern, limit: 10_000, nextToken }, abort.signal);
          send(page.events);
          nextToken = page.nextToken;
          pages += 1;
        } while (nextToken && pages < 10 && !closed());
        failures = 0;
        lastPoll = now;
      } catch (err) {
        if (closed()) break;
        const retryable = err instanceof HangarError && errorCodes[err.code].retryable;
        if (retryable && ++failures < transientLimit) {
          opts.logger.warn('function log stream: a poll failed; trying again', { reqId: request.id, instanceId: t.instance.id, err });
          continue;
        }
        const e = err instanceof HangarError ? err : new HangarError('INTERNAL', 'The log stream failed inside the engine; the engine log has the request id.');
        if (!(err instanceof HangarError)) opts.logger.error('function log stream failed', { reqId: request.id, instanceId: t.instance.id, err });
        raw.write(frame({ event: 'error', data: { code: e.code, message: e.message } }));
        break;
      }
      if (clock.now().getTime() - lastWrite >= heartbeatMs) {
        raw.write(': keep-alive\n\n');
        lastWrite = clock.now().getTime();
      }
    }
  } finally {
    raw.off('close', onClose);
    opts.stopping?.removeEventListener('abort', onClose);
    raw.end();
  }
}

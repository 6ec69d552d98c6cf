/**
 * Follow a function's runtime logs (`GET .../instances/:id/logs/events`, the contract's
 * `FunctionLogStreamEvent`s) until closed. A dropped connection is picked up again from the last
 * line's time, lines already shown are not shown twice; an `error` event or an answer that is an
 * error (the instance gone, no access) ends the follow and is handed to the caller.
 */
import { isHangarError } from '@hangar/core';
import type { FunctionLogEvent, FunctionLogStreamEvent, instanceLogEvents } from '@hangar/core/api';
import type { EngineClient } from '../engine-client.js';
import { fillPath } from '../engine-client.js';
import { systemTimers, type Timers } from './redeploy-queue.js';
import { contractEvent, readEvents, type EventSourceMessage } from '../sse.js';

export interface FollowLogsOptions {
  readonly client: EngineClient;
  readonly orgId: string;
  readonly instanceId: string;
  /** Where the backlog starts: a relative age (`10m`) or an ISO time. */
  readonly since: string;
  readonly onLog: (event: FunctionLogEvent) => void;
  /** The backlog has been sent; what follows is live (once per connection). */
  readonly onLive?: (logGroup: string) => void;
  /** Called once when the follow ends for good (not when closed): the engine's `error` event or answer. */
  readonly onEnd?: (error: { code: string; message: string }) => void;
  /** A connection dropped; the follow tries again after `retryMs`. */
  readonly onRetry?: (cause: unknown) => void;
  readonly retryMs?: number;
  /** Ids of lines already shown (shared by follows one after another, so none repeats a line). */
  readonly seen?: Set<string>;
  readonly timers?: Timers;
}

export interface LogFollow {
  /** Resolves when the follow has ended (closed, or ended by the engine). */
  readonly done: Promise<void>;
  close(): void;
}

const PATH = '/api/v1/orgs/:orgId/instances/:instanceId/logs/events' satisfies (typeof instanceLogEvents)['path'];
/** How many recent event ids are remembered to drop lines a reconnect sends again. */
const SEEN_LIMIT = 2_000;

export function followFunctionLogs(o: FollowLogsOptions): LogFollow {
  const timers = o.timers ?? systemTimers;
  const retryMs = o.retryMs ?? 1_000;
  let closed = false;
  let abort: AbortController | undefined;
  let wake: (() => void) | undefined;
  let since = o.since;
  const seen = o.seen ?? new Set<string>();

  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
  };

  /** One connection; returns the error that ends the follow, if the engine sent one. */
  async function once(): Promise<{ code: string; message: string } | undefined> {
    abort = new AbortController();
    let ended: { code: string; message: string } | undefined;
    const onEvent = (m: EventSourceMessage): void => {
      let e: FunctionLogStreamEvent;
      try {
        e = contractEvent<FunctionLogStreamEvent>(m);
      } catch {
        return; // not JSON: not an event of the contract
      }
      if (e.event === 'log') {
        if (seen.has(e.data.id)) return;
        remember(e.data.id);
        since = e.data.ts;
        o.onLog(e.data);
      } else if (e.event === 'live') {
        o.onLive?.(e.data.logGroup);
      } else if (e.event === 'error') {
        ended = e.data;
      }
    };
    const res = await o.client.stream(fillPath(PATH, { orgId: o.orgId, instanceId: o.instanceId }, { since }), abort.signal);
    await readEvents(res, onEvent, () => ended !== undefined || closed);
    return ended;
  }

  const pause = () => new Promise<void>((resolve) => {
    const t = timers.setTimeout(() => { wake = undefined; resolve(); }, retryMs);
    wake = () => { timers.clearTimeout(t); wake = undefined; resolve(); };
  });

  async function loop(): Promise<void> {
    while (!closed) {
      try {
        const ended = await once();
        if (ended) {
          if (!closed) o.onEnd?.(ended);
          return;
        }
      } catch (e) {
        if (closed) return;
        if (isHangarError(e) && e.code !== 'CLI_ENGINE_UNREACHABLE') {
          o.onEnd?.({ code: e.code, message: e.message });
          return;
        }
        o.onRetry?.(e);
      }
      if (!closed) await pause(); // the stream ended or dropped: pick it up again
    }
  }

  const done = loop().catch((e: unknown) => {
    if (!closed) o.onEnd?.(isHangarError(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
  });
  return {
    done,
    close() {
      closed = true;
      abort?.abort();
      wake?.();
    },
  };
}

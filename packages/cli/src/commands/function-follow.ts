/**
 * Follow a function's runtime logs (`GET .../instances/:id/logs/events`, the contract's
 * `FunctionLogStreamEvent`s) until the caller's signal aborts (Ctrl-C). A dropped connection is
 * picked up again with `Last-Event-ID`, so nothing is printed twice and nothing is lost; an
 * `error` event (instance removed, provider refused) ends the follow with that error.
 */
import { HangarError, isErrorCode, isHangarError } from '@hangar/core';
import type { FunctionLogEvent, FunctionLogStreamEvent, instanceLogEvents } from '@hangar/core/api';
import { fillPath, type EngineClient } from '../engine-client.js';
import { contractEvent, readEvents, type EventSourceMessage } from '../sse.js';

export interface FollowLogsOptions {
  readonly since?: string | undefined;
  readonly filter?: string | undefined;
  readonly signal: AbortSignal;
  onEvent(e: FunctionLogEvent): void;
  /** The backlog has been sent; what follows is live. Called once. */
  onLive?(logGroup: string): void;
  /** The connection dropped; reconnecting after `delayMs`. */
  onReconnect?(attempt: number, why: string, delayMs: number): void;
  /** Consecutive failed connections before giving up (default 30, about 2 minutes). */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const path: typeof instanceLogEvents['path'] = '/api/v1/orgs/:orgId/instances/:instanceId/logs/events';
const SEEN_MAX = 5_000;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

function reason(e: unknown): string {
  if (isHangarError(e)) return e.code;
  if (e instanceof Error) return (e as { code?: string }).code ?? e.message;
  return String(e);
}

/** A connection that failed or broke, as opposed to an answer from the engine that is an error. */
function isConnectionTrouble(e: unknown): boolean {
  return !isHangarError(e) || e.code === 'CLI_ENGINE_UNREACHABLE';
}

/** Resolves when `signal` aborts; rejects with the stream's error event or a lost engine. */
export async function followFunctionLogs(client: EngineClient, orgId: string, instanceId: string, o: FollowLogsOptions): Promise<void> {
  const sleep = o.sleep ?? defaultSleep;
  const maxAttempts = o.maxAttempts ?? 30;
  const url = fillPath(path, { orgId, instanceId }, { since: o.since, filter: o.filter });
  const seen = new Set<string>();
  let lastId: string | undefined;
  let live = false;
  let failures = 0;
  while (!o.signal.aborted) {
    let stopped: HangarError | undefined;
    const onEvent = (m: EventSourceMessage): void => {
      const e = contractEvent<FunctionLogStreamEvent>(m);
      failures = 0;
      if (e.event === 'log') {
        if (m.id) lastId = m.id;
        if (seen.has(e.data.id)) return;
        seen.add(e.data.id);
        if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value!);
        o.onEvent(e.data);
      } else if (e.event === 'live') {
        if (!live) o.onLive?.(e.data.logGroup);
        live = true;
      } else if (e.event === 'error') {
        stopped = new HangarError(isErrorCode(e.data.code) ? e.data.code : 'INTERNAL', isErrorCode(e.data.code) ? e.data.message : `${e.data.message} (${e.data.code})`);
      }
    };
    let why: string;
    try {
      const res = await client.stream(url, o.signal, { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) });
      await readEvents(res, onEvent, () => stopped !== undefined);
      if (stopped) throw stopped;
      why = 'the engine ended the stream';
    } catch (e) {
      if (o.signal.aborted) return;
      if (e === stopped || !isConnectionTrouble(e)) throw e;
      why = reason(e);
    }
    if (o.signal.aborted) return;
    failures++;
    if (failures > maxAttempts) {
      throw new HangarError('CLI_ENGINE_CONNECTION_LOST', `Lost the engine's log stream (${why}) and could not reconnect after ${maxAttempts} tries. Run \`hangar logs --tail\` again once the engine answers.`, {
        details: { instanceId, lastEventId: lastId ?? null },
      });
    }
    const delay = Math.min(250 * 2 ** (failures - 1), 5_000);
    o.onReconnect?.(failures, why, delay);
    await sleep(delay, o.signal);
  }
}

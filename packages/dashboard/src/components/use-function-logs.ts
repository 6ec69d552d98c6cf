import { useEffect, useState } from 'react';
import type { FunctionLogEvent, instanceLogEvents } from '@hangar/core/api';
import { ApiError, fillPath } from '../api/client.js';

/** At most this many lines are kept on screen; older ones are dropped (and `dropped` says so). */
export const MAX_FUNCTION_LOG_LINES = 2000;

export interface FunctionLogs {
  lines: FunctionLogEvent[];
  /** The backlog (`since`) has arrived; new lines are live. */
  live: boolean;
  /** How many old lines were dropped to keep the view at MAX_FUNCTION_LOG_LINES. */
  dropped: number;
  error: unknown;
}

const path: (typeof instanceLogEvents)['path'] = '/api/v1/orgs/:orgId/instances/:instanceId/logs/events';

/**
 * Follow a function's runtime logs with EventSource on GET …/logs/events (same origin, so the
 * session cookie authenticates it, as for a deployment's live log). `log` events append lines
 * (deduplicated by the cloud's event id, so a reconnect resuming with Last-Event-ID adds nothing
 * twice), `live` marks the end of the backlog, and the engine's `error` event ends the stream
 * with its code. A new `since` or `filter` starts a new stream.
 */
export function useFunctionLogs(orgId: string, instanceId: string, opts: { since: string; filter: string; enabled: boolean }): FunctionLogs {
  const [state, setState] = useState<FunctionLogs>({ lines: [], live: false, dropped: 0, error: undefined });
  const { since, filter, enabled } = opts;

  useEffect(() => {
    setState({ lines: [], live: false, dropped: 0, error: undefined });
    if (!enabled) return;
    let closed = false;
    const seen = new Set<string>();
    const url = fillPath(path, { orgId, instanceId }, { since, filter: filter.trim() || undefined });
    const es = new EventSource(url);
    es.addEventListener('log', (ev) => {
      const line = JSON.parse((ev as MessageEvent<string>).data) as FunctionLogEvent;
      if (seen.has(line.id)) return;
      seen.add(line.id);
      setState((s) => {
        const lines = [...s.lines, line];
        const over = lines.length - MAX_FUNCTION_LOG_LINES;
        return over > 0 ? { ...s, lines: lines.slice(over), dropped: s.dropped + over } : { ...s, lines };
      });
    });
    es.addEventListener('live', () => setState((s) => ({ ...s, live: true })));
    // The engine's own `error` event carries {code, message}; EventSource's connection errors share the name and carry no data.
    es.addEventListener('error', (ev) => {
      const data = (ev as MessageEvent<string | undefined>).data;
      if (typeof data === 'string' && data) {
        es.close();
        let e: { code?: string; message?: string } = {};
        try { e = JSON.parse(data) as typeof e; } catch { /* not JSON */ }
        setState((s) => ({ ...s, live: false, error: new ApiError(0, e.code ?? 'FUNCTION_LOGS_FAILED', e.message ?? 'The engine ended the log stream.') }));
        return;
      }
      // EventSource retries by itself after a dropped connection; a refused one (404, 401, 400) stays closed.
      if (es.readyState === EventSource.CLOSED) {
        void explainRefusal(url).then((error) => { if (!closed) setState((s) => ({ ...s, live: false, error })); });
      } else {
        setState((s) => ({ ...s, live: false }));
      }
    });
    return () => { closed = true; es.close(); };
  }, [orgId, instanceId, since, filter, enabled]);
  return state;
}

/**
 * EventSource hides why a stream was refused; ask once more with fetch to show the engine's own
 * {code, message} (a filter the cloud refuses, a removed instance). A stream that opens is aborted.
 */
async function explainRefusal(url: string): Promise<ApiError> {
  const fallback = new ApiError(0, 'STREAM_CLOSED', 'The engine closed the log stream. Reload the page to try again.');
  const ctl = new AbortController();
  try {
    const res = await fetch(url, { credentials: 'same-origin', signal: ctl.signal, headers: { accept: 'text/event-stream' } });
    if (res.ok) return fallback;
    const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
    return new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `The engine answered ${res.status}.`);
  } catch {
    return fallback;
  } finally {
    ctl.abort();
  }
}

import { useEffect, useState } from 'react';
import type { DeploymentEventOf } from '@hangar/core/api';
import type { Deployment, LogLine } from '../api/types.js';
import { ApiError } from '../api/client.js';

export interface DeploymentLog {
  /** Which deployment these lines belong to. */
  forId: string | undefined;
  lines: LogLine[];
  /** The live status while following; undefined for a finished deployment read at once. */
  status: string | undefined;
  live: boolean;
  error: unknown;
}

/**
 * A finished deployment's log is read once (GET …/logs, NDJSON). A queued or running one is
 * followed with EventSource on …/events (same-origin, so the session cookie authenticates it):
 * `log` events append lines, `status` and `done` update the status, and the stream is closed on
 * `done` so the browser does not reconnect.
 */
export function useDeploymentLog(orgId: string, deployment: Pick<Deployment, 'id' | 'status'> | undefined, onDone: () => void): DeploymentLog {
  const [state, setState] = useState<DeploymentLog>({ forId: undefined, lines: [], status: undefined, live: false, error: undefined });
  const id = deployment?.id;
  const finished = deployment ? deployment.status === 'succeeded' || deployment.status === 'failed' || deployment.status === 'skipped' : true;

  useEffect(() => {
    if (!id) return;
    let closed = false;
    // Same deployment turning final: keep the streamed lines on screen until the full log replaces them.
    setState((s) => ({ forId: id, lines: s.forId === id ? s.lines : [], status: s.forId === id ? s.status : undefined, live: !finished, error: undefined }));
    const url = `/api/v1/orgs/${encodeURIComponent(orgId)}/deployments/${encodeURIComponent(id)}`;
    if (finished) {
      fetch(`${url}/logs`, { credentials: 'same-origin' }).then(async (res) => {
        const text = await res.text();
        if (!res.ok) {
          let e: { code?: string; message?: string } = {};
          try { e = JSON.parse(text) as typeof e; } catch { /* not JSON */ }
          throw new ApiError(res.status, e.code ?? `HTTP_${res.status}`, e.message ?? `The engine answered ${res.status}.`);
        }
        const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
        if (!closed) setState({ forId: id, lines, status: undefined, live: false, error: undefined });
      }).catch((error: unknown) => { if (!closed) setState((s) => ({ ...s, error })); });
      return () => { closed = true; };
    }
    const es = new EventSource(`${url}/events`);
    es.addEventListener('log', (ev) => {
      const line = JSON.parse((ev as MessageEvent<string>).data) as DeploymentEventOf<'log'>;
      setState((s) => (s.lines.some((l) => l.seq === line.seq) ? s : { ...s, lines: [...s.lines, line] }));
    });
    es.addEventListener('status', (ev) => {
      const { status } = JSON.parse((ev as MessageEvent<string>).data) as DeploymentEventOf<'status'>;
      setState((s) => ({ ...s, status }));
    });
    es.addEventListener('done', (ev) => {
      const { status } = JSON.parse((ev as MessageEvent<string>).data) as DeploymentEventOf<'done'>;
      es.close();
      setState((s) => ({ ...s, status, live: false }));
      onDone();
    });
    es.onerror = () => {
      // EventSource retries by itself after a dropped connection; a refused one (404, 401) stays closed.
      if (es.readyState === EventSource.CLOSED) setState((s) => ({ ...s, live: false, error: new ApiError(0, 'STREAM_CLOSED', 'The live log stream was closed by the engine. Reload the page to try again.') }));
    };
    return () => { closed = true; es.close(); };
    // onDone is deliberately not a dependency: a new callback must not restart the stream.
  }, [orgId, id, finished]);
  return state;
}

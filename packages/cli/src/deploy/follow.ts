/**
 * Follow a deployment's server-sent events (`GET .../deployments/:id/events`, the contract's
 * `DeploymentEvent` union) until it finishes, handing each log line and status change to the
 * caller as it arrives, then read the final deployment.
 */
import { HangarError, isHangarError } from '@hangar/core';
import type { Deployment, DeploymentEvent, DeploymentStatus, getDeployment } from '@hangar/core/api';
import type { EngineClient } from '../engine-client.js';
import { contractEvent, readEvents, type EventSourceMessage } from '../sse.js';

export type { DeploymentStatus };
/** A deployment as the engine answers it (the contract's reply type). */
export type DeploymentView = Deployment;

export interface FollowHandlers {
  log?(line: { level: string; message: string }): void;
  status?(status: string): void;
}

const TERMINAL = new Set<string>(['succeeded', 'failed', 'skipped']);

export function deploymentPath(orgId: string, id: string): string {
  return `/api/v1/orgs/${encodeURIComponent(orgId)}/deployments/${encodeURIComponent(id)}`;
}

export function getDeploymentView(client: EngineClient, orgId: string, id: string): Promise<Deployment> {
  return client.call<typeof getDeployment>('GET', '/api/v1/orgs/:orgId/deployments/:id', { params: { orgId, id } });
}

/** Where a stream got to: the id of the last `log` event (the line's seq), sent back as Last-Event-ID on a reconnect. */
export interface StreamCursor { lastEventId?: string }

/**
 * Read the SSE stream until a terminal status or its end; returns the last status seen. With a
 * `cursor`, the stream resumes after `cursor.lastEventId` (the engine replays only later lines)
 * and the cursor follows every event id received, so the next call picks up where this one broke.
 */
export async function followEvents(client: EngineClient, orgId: string, id: string, on: FollowHandlers, cursor: StreamCursor = {}): Promise<string | undefined> {
  const abort = new AbortController();
  let last: string | undefined;
  let done = false;
  const onEvent = (ev: EventSourceMessage): void => {
    if (ev.id) cursor.lastEventId = ev.id;
    const e = contractEvent<DeploymentEvent>(ev);
    if (e.event === 'log') {
      on.log?.({ level: e.data.level, message: e.data.message });
      return;
    }
    if (e.event !== 'status' && e.event !== 'done') return; // a kind this client does not know yet
    if (e.data.status !== last) {
      last = e.data.status;
      on.status?.(e.data.status);
    }
    if (e.event === 'done' || TERMINAL.has(e.data.status)) done = true;
  };
  const res = await client.stream(`${deploymentPath(orgId, id)}/events`, abort.signal, cursor.lastEventId ? { 'last-event-id': cursor.lastEventId } : undefined);
  try {
    await readEvents(res, onEvent, () => done);
  } finally {
    abort.abort();
  }
  return last;
}

/** A dropped stream or an engine that no longer answers, as opposed to an answer that is an error. */
function isConnectionTrouble(e: unknown): boolean {
  return !isHangarError(e) || e.code === 'CLI_ENGINE_UNREACHABLE';
}

function connectionLost(id: string, last: string, cause: unknown): HangarError {
  const why = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : String(cause);
  return new HangarError('CLI_ENGINE_CONNECTION_LOST', `Engine connection lost (${why}); deployment ${id} is ${last} as last seen, and may still finish. See \`hangar info\` once the engine is back.`, {
    cause, details: { deploymentId: id, lastStatus: last },
  });
}

/** Follow until finished, then return the stored deployment (status, outputs, provider, error). */
export async function waitForDeployment(client: EngineClient, orgId: string, id: string, on: FollowHandlers): Promise<Deployment> {
  let last = 'queued'; // what the engine answered when the deployment was created
  // A reconnect resends the current status: tell the caller only of changes.
  let shown: string | undefined;
  const seen: FollowHandlers = { ...on, status: (s) => { last = s; if (s === shown) return; shown = s; on.status?.(s); } };
  // Across reconnects (a dropped connection, an engine restarted, another engine behind the proxy)
  // the stream resumes after the last line received: no line is printed twice.
  const cursor: StreamCursor = {};
  for (let attempt = 0; attempt < 600; attempt++) {
    let dropped: unknown;
    try {
      await followEvents(client, orgId, id, seen, cursor);
    } catch (e) {
      if (!isConnectionTrouble(e)) throw e;
      dropped = e; // the stream broke: ask for the deployment itself before deciding the engine is gone
    }
    let d: Deployment | undefined;
    for (let tries = 1; d === undefined; tries++) {
      try {
        d = await getDeploymentView(client, orgId, id);
      } catch (e) {
        if (!isConnectionTrouble(e)) throw e;
        if (tries === 2) throw connectionLost(id, last, dropped ?? e);
        await new Promise((r) => setTimeout(r, 500)); // one more try: a blip, or a restart already done
      }
    }
    if (TERMINAL.has(d.status)) return d;
    // The stream ended early (a proxy timeout, an engine restart): pick it up again.
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`deployment ${id} did not finish`);
}

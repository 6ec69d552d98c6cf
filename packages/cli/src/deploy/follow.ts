/**
 * Follow a deployment's server-sent events (`GET .../deployments/:id/events`) until it finishes,
 * handing each log line and status change to the caller as it arrives, then read the final
 * deployment. Tolerant of the event names: `log` lines carry `{ level, message }`, `status`
 * carries `{ status }`, and a terminal status (or the stream's end) stops following.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { HangarError, isHangarError } from '@hangar/core';
import type { EngineClient } from '../engine-client.js';

export type DeploymentStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface DeploymentView {
  readonly id: string;
  readonly status: DeploymentStatus;
  readonly action?: string;
  readonly app?: string;
  readonly stage?: string;
  readonly name?: string;
  readonly provider?: { readonly id?: string; readonly name: string | null; readonly roleArn: string | null } | null;
  readonly outputs?: Record<string, unknown> | null;
  readonly error?: { readonly code: string; readonly message: string; readonly awsCode?: string | null; readonly requestId?: string | null } | null;
  readonly durationMs?: number | null;
}

export interface FollowHandlers {
  log?(line: { level: string; message: string }): void;
  status?(status: string): void;
}

const TERMINAL = new Set(['succeeded', 'failed']);

export function unwrapDeployment(body: unknown): DeploymentView {
  const b = body as { deployment?: DeploymentView };
  return b.deployment ?? (body as DeploymentView);
}

export function deploymentPath(orgId: string, id: string): string {
  return `/api/v1/orgs/${encodeURIComponent(orgId)}/deployments/${encodeURIComponent(id)}`;
}

/** Read the SSE stream until a terminal status or its end; returns the last status seen. */
export async function followEvents(client: EngineClient, orgId: string, id: string, on: FollowHandlers): Promise<string | undefined> {
  const abort = new AbortController();
  let last: string | undefined;
  let done = false;
  const onEvent = (ev: EventSourceMessage): void => {
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(ev.data) as Record<string, unknown>;
    } catch {
      data = { message: ev.data };
    }
    const kind = ev.event ?? 'message';
    if (kind === 'log' || (kind === 'message' && typeof data.message === 'string' && data.status === undefined)) {
      on.log?.({ level: String(data.level ?? 'info'), message: String(data.message ?? '') });
      return;
    }
    const nested = (data.deployment as { status?: unknown } | undefined)?.status;
    const status = typeof data.status === 'string' ? data.status : typeof nested === 'string' ? nested : undefined;
    if (status !== undefined && status !== last) {
      last = status;
      on.status?.(status);
    }
    if ((status !== undefined && TERMINAL.has(status)) || kind === 'end' || kind === 'done') done = true;
  };
  const parser = createParser({ onEvent });
  const res = await client.stream(`${deploymentPath(orgId, id)}/events`, abort.signal);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.chunks()) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (done) break;
    }
  } finally {
    res.close();
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
export async function waitForDeployment(client: EngineClient, orgId: string, id: string, on: FollowHandlers): Promise<DeploymentView> {
  let last = 'queued'; // what the engine answered when the deployment was created
  const seen: FollowHandlers = { ...on, status: (s) => { last = s; on.status?.(s); } };
  for (let attempt = 0; attempt < 600; attempt++) {
    let dropped: unknown;
    try {
      await followEvents(client, orgId, id, seen);
    } catch (e) {
      if (!isConnectionTrouble(e)) throw e;
      dropped = e; // the stream broke: ask for the deployment itself before deciding the engine is gone
    }
    let d: DeploymentView | undefined;
    for (let tries = 1; d === undefined; tries++) {
      try {
        d = unwrapDeployment(await client.json('GET', deploymentPath(orgId, id)));
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

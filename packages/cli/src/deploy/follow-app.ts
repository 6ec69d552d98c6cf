/**
 * Follow an app deployment (`GET .../app-deployments/:id/events`): an `instance` event per status
 * change of an instance, then `done`. Each instance's log is its own deployment's stream, which the
 * caller follows once the instance has a deployment id.
 */
import { isHangarError } from '@hangar/core';
import type { AppDeployment, AppDeploymentEvent, AppDeploymentInstance, getAppDeployment } from '@hangar/core/api';
import type { EngineClient } from '../engine-client.js';
import { contractEvent, readEvents } from '../sse.js';

export function getAppDeploymentView(client: EngineClient, orgId: string, id: string): Promise<AppDeployment> {
  return client.call<typeof getAppDeployment>('GET', '/api/v1/orgs/:orgId/app-deployments/:id', { params: { orgId, id } });
}

async function followOnce(client: EngineClient, orgId: string, id: string, onInstance: (i: AppDeploymentInstance) => void): Promise<AppDeployment | undefined> {
  const abort = new AbortController();
  let done: AppDeployment | undefined;
  const res = await client.stream(`/api/v1/orgs/${encodeURIComponent(orgId)}/app-deployments/${encodeURIComponent(id)}/events`, abort.signal);
  try {
    await readEvents(res, (m) => {
      const e = contractEvent<AppDeploymentEvent>(m);
      if (e.event === 'instance') onInstance(e.data);
      else if (e.event === 'done') done = e.data;
    }, () => done !== undefined);
  } finally {
    abort.abort();
  }
  return done;
}

/** Follow until the app deployment has finished (picking the stream up again if it drops), then return it. */
export async function waitForAppDeployment(client: EngineClient, orgId: string, id: string, onInstance: (i: AppDeploymentInstance) => void): Promise<AppDeployment> {
  for (let attempt = 0; attempt < 600; attempt++) {
    try {
      const done = await followOnce(client, orgId, id, onInstance);
      if (done) return done;
    } catch (e) {
      if (isHangarError(e) && e.code !== 'CLI_ENGINE_UNREACHABLE') throw e;
    }
    const a = await getAppDeploymentView(client, orgId, id);
    if (a.status !== 'running') return a;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`app deployment ${id} did not finish`);
}

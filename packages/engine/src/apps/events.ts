import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeployment } from '@hangar/core/api';
import { openSse } from '../http/sse.js';

/**
 * GET /app-deployments/:id/events: an `instance` event each time an instance's status (or its
 * deployment id) changes, then `done` with the whole app deployment. Woken by this engine's
 * changes, and polls every `pollMs` for changes made by another engine.
 */
export async function streamAppDeploymentEvents(
  deps: { pollMs: number; heartbeatMs?: number; load: () => Promise<AppDeployment>; onChange: (listener: () => void) => () => void },
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  let current = await deps.load(); // NOT_FOUND answers before the stream starts
  const sse = openSse(reply, deps.onChange);
  const sent = new Map<string, string>();
  let idleSince = Date.now();
  try {
    while (!sse.closed) {
      sse.settle();
      for (const i of current.instances) {
        const key = `${i.status}|${i.deploymentId ?? ''}`;
        if (sent.get(i.name) === key) continue;
        sent.set(i.name, key);
        sse.write('instance', i);
        idleSince = Date.now();
      }
      if (current.status !== 'running') {
        sse.write('done', current);
        break;
      }
      if (Date.now() - idleSince > (deps.heartbeatMs ?? 15_000)) {
        sse.keepAlive();
        idleSince = Date.now();
      }
      await sse.wait(deps.pollMs);
      if (!sse.closed) current = await deps.load();
    }
  } finally {
    sse.end();
  }
}

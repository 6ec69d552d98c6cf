import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeployment } from '@hangar/core/api';

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

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
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 1000\n\n');
  let closed = false;
  let dirty = false;
  let wakeup: (() => void) | undefined;
  const onClose = () => { closed = true; wakeup?.(); };
  raw.on('close', onClose);
  const off = deps.onChange(() => { dirty = true; wakeup?.(); });
  const wait = (ms: number) => new Promise<void>((resolve) => {
    if (dirty || closed) return resolve();
    const timer = setTimeout(() => { wakeup = undefined; resolve(); }, ms);
    wakeup = () => { clearTimeout(timer); wakeup = undefined; resolve(); };
  });
  const sent = new Map<string, string>();
  let idleSince = Date.now();
  try {
    while (!closed) {
      dirty = false;
      for (const i of current.instances) {
        const key = `${i.status}|${i.deploymentId ?? ''}`;
        if (sent.get(i.name) === key) continue;
        sent.set(i.name, key);
        raw.write(frame('instance', i));
        idleSince = Date.now();
      }
      if (current.status !== 'running') {
        raw.write(frame('done', current));
        break;
      }
      if (Date.now() - idleSince > (deps.heartbeatMs ?? 15_000)) {
        raw.write(': keep-alive\n\n');
        idleSince = Date.now();
      }
      await wait(deps.pollMs);
      if (!closed) current = await deps.load();
    }
  } finally {
    off();
    raw.off('close', onClose);
    raw.end();
  }
}

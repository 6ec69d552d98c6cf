import type { FastifyReply, FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { Db } from '../types.js';
import type { DeploymentBus } from './bus.js';
import { durationOf } from './views.js';

const finished = new Set(['succeeded', 'failed', 'skipped']);

function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * GET /deployments/:id/events as server-sent events. Replays the stored log lines after
 * Last-Event-ID (the `seq` of the last `log` event the client saw), then follows: the bus wakes the
 * stream when a run writes something — in this process, or in any engine on the same PostgreSQL
 * store while the bus is `live()` (LISTEN/NOTIFY). While it is not, a poll every `pollMs` covers runs
 * in other processes; while it is, the store is read again only with each keep-alive. Ends with
 * `done` once the deployment has finished and every line is sent.
 */
export async function streamDeploymentEvents(
  deps: { db: Db; bus: DeploymentBus; pollMs: number; heartbeatMs?: number },
  request: FastifyRequest,
  reply: FastifyReply,
  orgId: string,
  id: string,
): Promise<void> {
  const { db } = deps;
  const exists = await db.selectFrom('deployments').select('id').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  if (!exists) throw new HangarError('NOT_FOUND', `Deployment ${id} not found in this organisation.`);
  const header = request.headers['last-event-id'];
  const fromHeader = Number(Array.isArray(header) ? header[0] : header);
  let lastSeq = Number.isSafeInteger(fromHeader) && fromHeader > 0 ? fromHeader : 0;

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write('retry: 1000\n\n');
  let closed = false;
  let dirty = false;
  let wakeup: (() => void) | undefined;
  const onClose = () => {
    closed = true;
    wakeup?.();
  };
  raw.on('close', onClose);
  const unsubscribe = deps.bus.subscribe(id, () => {
    dirty = true;
    wakeup?.();
  });
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      if (dirty || closed) return resolve();
      const timer = setTimeout(() => { wakeup = undefined; resolve(); }, ms);
      wakeup = () => { clearTimeout(timer); wakeup = undefined; resolve(); };
    });

  const sendLines = async (): Promise<number> => {
    const lines = await db.selectFrom('deployment_logs').select(['seq', 'ts', 'level', 'message']).where('deployment_id', '=', id).where('seq', '>', lastSeq).orderBy('seq').limit(500).execute();
    for (const l of lines) {
      raw.write(frame('log', { seq: Number(l.seq), ts: l.ts, level: l.level, message: l.message }, Number(l.seq)));
      lastSeq = Number(l.seq);
    }
    return lines.length;
  };

  try {
    let lastStatus: string | undefined;
    let idleSince = Date.now();
    while (!closed) {
      dirty = false;
      if ((await sendLines()) === 500) continue;
      const d = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      if (d.status !== lastStatus) {
        raw.write(frame('status', { status: d.status }));
        lastStatus = d.status;
        idleSince = Date.now();
      }
      if (finished.has(d.status)) {
        // Every line is stored before the status turns final, so this read gets the rest.
        while ((await sendLines()) === 500);
        raw.write(
          frame('done', {
            status: d.status,
            outputs: d.outputs ? JSON.parse(d.outputs) : {},
            ...(d.error_code ? { error: { code: d.error_code, message: d.error_message ?? '', awsCode: d.aws_code, requestId: d.aws_request_id } } : {}),
            provider: { id: d.provider_id, name: d.provider_name, roleArn: d.role_arn },
            durationMs: durationOf(d),
          }),
        );
        break;
      }
      const heartbeatMs = deps.heartbeatMs ?? 15_000;
      if (Date.now() - idleSince >= heartbeatMs) {
        raw.write(': keep-alive\n\n');
        idleSince = Date.now();
      }
      await wait(deps.bus.live() ? heartbeatMs : Math.min(deps.pollMs, heartbeatMs));
    }
  } finally {
    unsubscribe();
    raw.off('close', onClose);
    raw.end();
  }
}

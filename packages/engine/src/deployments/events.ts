import type { FastifyReply, FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { Db } from '../types.js';
import type { DeploymentBus } from './bus.js';
import { durationOf } from './views.js';
import { openSse } from '../http/sse.js';

const finished = new Set(['succeeded', 'failed', 'skipped']);

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

  const sse = openSse(reply, (onChange) => deps.bus.subscribe(id, onChange));

  const sendLines = async (): Promise<number> => {
    const lines = await db.selectFrom('deployment_logs').select(['seq', 'ts', 'level', 'message']).where('deployment_id', '=', id).where('seq', '>', lastSeq).orderBy('seq').limit(500).execute();
    for (const l of lines) {
      sse.write('log', { seq: Number(l.seq), ts: l.ts, level: l.level, message: l.message }, Number(l.seq));
      lastSeq = Number(l.seq);
    }
    return lines.length;
  };

  try {
    let lastStatus: string | undefined;
    let idleSince = Date.now();
    while (!sse.closed) {
      sse.settle();
      if ((await sendLines()) === 500) continue;
      const d = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      if (d.status !== lastStatus) {
        sse.write('status', { status: d.status });
        lastStatus = d.status;
        idleSince = Date.now();
      }
      if (finished.has(d.status)) {
        // Every line is stored before the status turns final, so this read gets the rest.
        while ((await sendLines()) === 500);
        sse.write('done', {
          status: d.status,
          outputs: d.outputs ? JSON.parse(d.outputs) : {},
          ...(d.error_code ? { error: { code: d.error_code, message: d.error_message ?? '', awsCode: d.aws_code, requestId: d.aws_request_id } } : {}),
          provider: { id: d.provider_id, name: d.provider_name, roleArn: d.role_arn },
          durationMs: durationOf(d),
        });
        break;
      }
      const heartbeatMs = deps.heartbeatMs ?? 15_000;
      if (Date.now() - idleSince >= heartbeatMs) {
        sse.keepAlive();
        idleSince = Date.now();
      }
      await sse.wait(deps.bus.live() ? heartbeatMs : Math.min(deps.pollMs, heartbeatMs));
    }
  } finally {
    sse.end();
  }
}

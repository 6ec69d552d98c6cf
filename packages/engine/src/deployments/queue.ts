import type { Selectable } from 'kysely';
import type { AuditApi, Clock, Db } from '../types.js';
import type { DeploymentsTable } from './tables.js';

export type DeploymentRow = Selectable<DeploymentsTable>;

/**
 * Claim the next deployment to run, or undefined. A deployment is runnable when it is the oldest
 * queued one of its instance, nothing of that instance is running, and its org runs fewer than
 * `orgLimit` deployments: one per instance at a time, in the order they were queued, and no org
 * holding every worker. The claim is a conditional UPDATE (status still 'queued', still nothing
 * running), so two workers never both win: the loser's UPDATE matches no row and it looks again.
 * This is the SQLite queue (one engine process, one writer, so the org count cannot race); on
 * PostgreSQL the pg-boss queue (pg-queue.ts) claims, with the same rules under advisory locks.
 */
export async function claimNext(db: Db, clock: Clock, orgLimit = Number.MAX_SAFE_INTEGER): Promise<DeploymentRow | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = await db
      .selectFrom('deployments as d')
      .select('d.id')
      .where('d.status', '=', 'queued')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deployments as o')
              .select('o.id')
              .whereRef('o.instance_id', '=', 'd.instance_id')
              .where((eb) => eb.or([eb('o.status', '=', 'running'), eb.and([eb('o.status', '=', 'queued'), eb('o.id', '<', eb.ref('d.id'))])])),
          ),
        ),
      )
      .where(({ selectFrom }) => selectFrom('deployments as c').select((eb) => eb.fn.countAll().as('n')).whereRef('c.org_id', '=', 'd.org_id').where('c.status', '=', 'running'), '<', orgLimit)
      .orderBy('d.id')
      .limit(1)
      .executeTakeFirst();
    if (!candidate) return undefined;
    const result = await db
      .updateTable('deployments')
      .set({ status: 'running', started_at: clock.now().toISOString(), heartbeat_at: clock.now().toISOString() })
      .where('id', '=', candidate.id)
      .where('status', '=', 'queued')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('deployments as r')
              .select('r.id')
              .whereRef('r.instance_id', '=', 'deployments.instance_id')
              .where('r.status', '=', 'running'),
          ),
        ),
      )
      .where(({ selectFrom }) => selectFrom('deployments as c').select((eb) => eb.fn.countAll().as('n')).whereRef('c.org_id', '=', 'deployments.org_id').where('c.status', '=', 'running'), '<', orgLimit)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      return db.selectFrom('deployments').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
    }
  }
  return undefined;
}

/**
 * Fails running deployments as DEPLOY_INTERRUPTED (status `failed`) and writes each one's
 * `deployment.finished` audit event, so its instance is free for the next deployment; the instance
 * keeps the state of its last successful deployment.
 *
 * Which ones: with `staleMs`, those whose heartbeat is older than that — their engine process
 * stopped (killed, machine lost); this is how engines sharing a PostgreSQL database decide, and a
 * live run's lease is never touched. Without `staleMs`, every running one: only for the holder
 * of a SQLite store's exclusive lock (see lockDataDir), who knows no other process can be running
 * them. Each row is claimed with a conditional UPDATE, so when two engines reap at once each
 * deployment is reaped — and audited — once. Returns how many were reaped.
 */
export async function reapInterrupted(
  deps: { db: Db; clock: Clock; audit: AuditApi },
  opts: { staleMs?: number; reason: string },
): Promise<number> {
  const { db, clock } = deps;
  let reaped = 0;
  for (;;) {
    const now = clock.now();
    const cutoff = opts.staleMs === undefined ? undefined : new Date(now.getTime() - opts.staleMs).toISOString();
    let q = db.selectFrom('deployments').selectAll().where('status', '=', 'running');
    if (cutoff) q = q.where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', cutoff)]));
    const rows = await q.orderBy('id').limit(100).execute();
    let progress = 0;
    for (const dep of rows) {
      let u = db
        .updateTable('deployments')
        .set({ status: 'failed', error_code: 'DEPLOY_INTERRUPTED', error_message: opts.reason, finished_at: now.toISOString() })
        .where('id', '=', dep.id)
        .where('status', '=', 'running');
      if (cutoff) u = u.where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', cutoff)]));
      const result = await u.executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) continue;
      progress++;
      const startedAt = dep.started_at ? new Date(dep.started_at) : now;
      await deps.audit.append({
        orgId: dep.org_id, kind: 'deployment.finished', actor: dep.actor, subject: `deployment:${dep.id}`,
        data: {
          action: dep.action, instanceId: dep.instance_id, status: 'failed', durationMs: Math.max(0, now.getTime() - startedAt.getTime()),
          providerId: dep.provider_id, providerName: dep.provider_name, roleArn: dep.role_arn,
          errorCode: 'DEPLOY_INTERRUPTED', awsCode: null, awsRequestId: null,
        },
      });
    }
    reaped += progress;
    if (rows.length < 100 || progress === 0) return reaped;
  }
}

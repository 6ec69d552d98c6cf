import type { Selectable } from 'kysely';
import type { Clock, Db } from '../types.js';
import type { DeploymentsTable } from './tables.js';

export type DeploymentRow = Selectable<DeploymentsTable>;

/**
 * Claim the next deployment to run, or undefined. A deployment is runnable when it is the oldest
 * queued one of its instance and nothing of that instance is running: one per instance at a
 * time, in the order they were queued. The claim is a conditional UPDATE (status still 'queued',
 * still nothing running), so two workers — in this process or another engine process on the same
 * PostgreSQL — never both win: the loser's UPDATE matches no row and it looks again.
 */
export async function claimNext(db: Db, clock: Clock): Promise<DeploymentRow | undefined> {
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
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) {
      return db.selectFrom('deployments').selectAll().where('id', '=', candidate.id).executeTakeFirstOrThrow();
    }
  }
  return undefined;
}

/**
 * A running deployment whose heartbeat is older than `staleMs` belongs to an engine process that
 * died: mark it failed (DEPLOY_INTERRUPTED) so its instance is free for the next one. Its
 * instance keeps the state of its last successful deployment. Returns how many were reaped.
 */
export async function reapStale(db: Db, clock: Clock, staleMs: number): Promise<number> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - staleMs).toISOString();
  const result = await db
    .updateTable('deployments')
    .set({
      status: 'failed', error_code: 'DEPLOY_INTERRUPTED', finished_at: now.toISOString(),
      error_message: 'The engine process running this deployment stopped (no heartbeat); deploy again. The previous state was kept.',
    })
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('heartbeat_at', 'is', null), eb('heartbeat_at', '<', cutoff)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

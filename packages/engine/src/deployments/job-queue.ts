import type { Clock, Db } from '../types.js';
import { claimNext, type DeploymentRow } from './queue.js';

/** What the queue needs to know of a deployment to hand it out. */
export interface QueuedDeployment {
  readonly id: string;
  readonly orgId: string;
  readonly instanceId: string;
}

/**
 * The deployment queue: a deployment is a job; any worker of any engine sharing the store claims
 * it. Whatever the implementation, a claim honours the same rules: one deployment per instance at
 * a time, in the order they were queued; at most `orgLimit` running deployments per org (so one
 * org cannot starve the others); and a claimed deployment is `running` with a fresh heartbeat
 * (its lease) when `claim` returns it. The deployments table stays the record of every
 * deployment's status; the queue decides who runs what next.
 */
export interface DeploymentQueue {
  readonly kind: 'sql' | 'pg-boss';
  /** Installs or checks what the queue needs (pg-boss: its schema) and makes queued deployments without a job claimable. */
  start(): Promise<void>;
  /** A deployment row was just inserted as `queued` in transaction `tx`: make it claimable when `tx` commits. */
  enqueue(tx: Db, dep: QueuedDeployment): Promise<void>;
  /** The next runnable deployment, now `running` and leased to the caller; undefined when none is runnable. */
  claim(): Promise<DeploymentRow | undefined>;
  /**
   * A claimed deployment that never got as far as asking for cloud credentials goes back to the
   * queue (status `queued`, its place kept: order is by id), to be claimed again, here or by
   * another engine. False when it was no longer ours (its lease was lost).
   */
  requeue(dep: QueuedDeployment): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The SQLite queue (embedded, one engine process): the deployments table is the queue and a claim
 * is one conditional UPDATE (claimNext). SQLite has one writer, so the per-instance and per-org
 * rules cannot race.
 */
export function createSqlQueue(deps: { db: Db; clock: Clock; orgLimit: number }): DeploymentQueue {
  const { db, clock } = deps;
  return {
    kind: 'sql',
    async start() {},
    async enqueue() {},
    claim: () => claimNext(db, clock, deps.orgLimit),
    requeue: (dep) => putBack(db, dep.id),
    async stop() {},
  };
}

/** Sets a running deployment back to queued (the run had not asked for credentials). */
export async function putBack(db: Db, id: string): Promise<boolean> {
  const r = await db.updateTable('deployments')
    .set({ status: 'queued', started_at: null, heartbeat_at: null, provider_id: null, provider_name: null, role_arn: null })
    .where('id', '=', id).where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

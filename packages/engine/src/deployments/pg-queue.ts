import PgBoss from 'pg-boss';
import { CompiledQuery, sql } from 'kysely';
import type { Clock, Db, Logger } from '../types.js';
import { putBack, type DeploymentQueue, type QueuedDeployment } from './job-queue.js';
import type { DeploymentRow } from './queue.js';

/** The pg-boss queue every engine of one database shares. */
export const DEPLOYMENT_QUEUE = 'hangar-deployments';
/** Advisory lock key spaces (the first half of pg_try_advisory_xact_lock(int, int)). */
const ORG_LOCK = 7301;
const INSTANCE_LOCK = 7302;
/** How many jobs one claim transaction looks at (then it commits, releasing its locks, and another round may follow). */
const JOBS_PER_ROUND = 10;
/** How many rounds one claim may take while every job it fetched had to step aside (a long line of one org's deployments). */
const ROUNDS_PER_CLAIM = 20;

interface JobData { deploymentId: string; orgId: string; instanceId: string }

/**
 * pg-boss runs its SQL through the engine's own pg pool (via Kysely), so it needs no second pool
 * and no second set of connection settings, and a job can be sent or fetched inside one of the
 * engine's transactions (the deployment row and its job commit together, or not at all).
 */
function executorOf(db: Db): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const r = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: r.rows as unknown[] as Record<string, unknown>[] };
    },
  };
}

/**
 * The PostgreSQL deployment queue, on pg-boss (v10: the last line that runs on Node 20; 11 and 12 need Node 22). A deployment
 * is a job in the `hangar-deployments` queue (policy `short`, singleton key = deployment id, so a
 * deployment has at most one waiting job whoever enqueues it). Any engine's worker claims.
 *
 * A claim is ONE transaction: pg-boss fetches the oldest available job (FOR UPDATE SKIP LOCKED,
 * so engines never fetch the same job), the engine decides whether that deployment may run now,
 * and either marks it `running` (its lease starts: heartbeat_at) and completes the job, or defers
 * the job (completes it and sends a fresh one that becomes available `deferSeconds` later), then
 * commits. An engine killed in the middle leaves nothing half-done: PostgreSQL rolls back and the
 * job is available again — the only "retry" the queue does on its own, and it is safe because the
 * deployment had not started. Once `running`, a deployment is never retried: its fate is decided
 * by its lease (reapInterrupted) or by its run. Runs stopped before they asked for credentials
 * are put back explicitly (requeue).
 *
 * Per-instance serialisation: the deployments table, not pg-boss. A deployment runs only when it
 * is the oldest queued one of its instance and none of that instance is `running`; the `running`
 * row is the lock, and it is held by a lease (heartbeat) rather than by a connection, so it
 * survives connection blips of a live run and is released by another engine when the run's
 * engine dies (reapInterrupted). pg-boss's `singleton` policy was not used: its fetch takes the
 * oldest job and fails (a unique violation it swallows) when that job's key is already active, so
 * one busy instance would block every other instance's jobs behind it. A session advisory lock
 * held for the whole run would pin one pooled connection per running deployment and vanish with
 * the connection while the run may still be touching the cloud.
 *
 * Per-org limit: counted under a transaction-scoped advisory lock per org, so two engines cannot
 * both see "one slot left" and both take it; a per-instance one guards duplicate jobs of one
 * instance. Both are *try* locks: a claim that cannot have them at once defers the job instead of
 * waiting, so claims never deadlock. Deferring keeps the queue moving: a blocked org's jobs step
 * aside for `deferSeconds` and the next org's job is fetched in the same round, so one org with
 * many queued deployments delays another org's by about one claim (each of the org's jobs is looked
 * at once, then steps aside behind the other org's). The cost: a deployment that may not run yet is
 * looked at again every `deferSeconds` (one completed and one new job row each time; pg-boss's
 * maintenance archives them).
 */
export function createPgBossQueue(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  orgLimit: number;
  /** pg-boss's schema; default `<the engine's schema>_pgboss` (e.g. public_pgboss). */
  schema?: string;
  /** How long a job that may not run yet (instance busy, org at its limit) steps aside; default 1 s. */
  deferSeconds?: number;
  /** How often queued deployments without a job (e.g. queued by an older engine) get one; default 30 s. */
  sweepMs?: number;
}): DeploymentQueue {
  const { db, clock, logger } = deps;
  const deferSeconds = deps.deferSeconds ?? 1;
  const sweepMs = deps.sweepMs ?? 30_000;
  let boss: PgBoss | undefined;
  let lastSweep = 0;

  const started = (): PgBoss => {
    if (!boss) throw new Error('the deployment queue is not started');
    return boss;
  };

  const send = (on: Db, dep: QueuedDeployment, startAfterSeconds?: number) =>
    started().send(DEPLOYMENT_QUEUE, { deploymentId: dep.id, orgId: dep.orgId, instanceId: dep.instanceId } satisfies JobData, {
      singletonKey: dep.id, db: executorOf(on), ...(startAfterSeconds ? { startAfter: startAfterSeconds } : {}),
    });

  /** Gives every queued deployment without a waiting job one (the `short` policy makes this a no-op for those with one). */
  async function sweep(): Promise<void> {
    lastSweep = clock.now().getTime();
    const rows = await db.selectFrom('deployments').select(['id', 'org_id', 'instance_id']).where('status', '=', 'queued').orderBy('id').limit(500).execute();
    // One statement for all of them; a deployment whose job is waiting conflicts and is skipped.
    if (rows.length) {
      await started().insert(rows.map((r) => ({ name: DEPLOYMENT_QUEUE, singletonKey: r.id, data: { deploymentId: r.id, orgId: r.org_id, instanceId: r.instance_id } satisfies JobData })));
    }
  }

  /** One claim round, in one transaction (see above). `more`: it stopped at JOBS_PER_ROUND, there may be more jobs to look at. */
  const claimRound = () => db.transaction().execute(async (tx): Promise<{ dep?: DeploymentRow; more: boolean }> => {
    const on = executorOf(tx);
    const b = started();
    for (let i = 0; i < JOBS_PER_ROUND; i++) {
      const [job] = await b.fetch<JobData>(DEPLOYMENT_QUEUE, { batchSize: 1, db: on });
      if (!job) return { more: false };
      const dep = await tx.selectFrom('deployments').selectAll().where('id', '=', job.data.deploymentId).executeTakeFirst();
      if (!dep || dep.status !== 'queued') {
        // Already run (a duplicate job) or gone: nothing to do.
        await b.complete(DEPLOYMENT_QUEUE, job.id, { skipped: dep?.status ?? 'missing' }, { db: on });
        continue;
      }
      const locked = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${sql.lit(ORG_LOCK)}, hashtext(${dep.org_id})) and pg_try_advisory_xact_lock(${sql.lit(INSTANCE_LOCK)}, hashtext(${dep.instance_id})) as ok`.execute(tx);
      let why: string | undefined = locked.rows[0]?.ok ? undefined : 'another engine is claiming for this org or instance';
      if (!why) {
        const ahead = await tx.selectFrom('deployments').select(['id', 'status']).where('instance_id', '=', dep.instance_id)
          .where((eb) => eb.or([eb('status', '=', 'running'), eb.and([eb('status', '=', 'queued'), eb('id', '<', dep.id)])]))
          .limit(1).executeTakeFirst();
        if (ahead) why = ahead.status === 'running' ? 'instance busy' : 'an earlier deployment of the instance is queued';
      }
      if (!why) {
        const running = await tx.selectFrom('deployments').select((eb) => eb.fn.countAll<string | number>().as('n')).where('org_id', '=', dep.org_id).where('status', '=', 'running').executeTakeFirstOrThrow();
        if (Number(running.n) >= deps.orgLimit) why = 'org at its concurrency limit';
      }
      await b.complete(DEPLOYMENT_QUEUE, job.id, why ? { deferred: why } : { claimed: true }, { db: on });
      if (why) {
        await send(tx, { id: dep.id, orgId: dep.org_id, instanceId: dep.instance_id }, deferSeconds);
        continue;
      }
      const now = clock.now().toISOString();
      const r = await tx.updateTable('deployments').set({ status: 'running', started_at: now, heartbeat_at: now }).where('id', '=', dep.id).where('status', '=', 'queued').executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      return { dep: { ...dep, status: 'running', started_at: now, heartbeat_at: now }, more: false };
    }
    return { more: true };
  });

  return {
    kind: 'pg-boss',
    async start() {
      const schema = deps.schema ?? `${(await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]!.s}_pgboss`;
      // No cron (schedule) and no pg-boss workers: the engine's worker pool fetches. Supervision
      // (maintenance: archiving completed jobs) stays on; pg-boss's own advisory lock lets one engine do it.
      // Completed jobs (claimed or stepped aside) are of no further use: archived after 10 minutes, deleted after a day.
      const created = new PgBoss({ db: executorOf(db), schema, schedule: false, supervise: true, migrate: true, archiveCompletedAfterSeconds: 600, deleteAfterDays: 1 });
      created.on('error', (err) => logger.warn('pg-boss reported an error', { err }));
      await created.start();
      await created.createQueue(DEPLOYMENT_QUEUE, { name: DEPLOYMENT_QUEUE, policy: 'short' });
      boss = created;
      await sweep();
    },
    async enqueue(tx, dep) {
      // Not started yet (the API can queue before the workers start): start()'s sweep gives it its job.
      if (boss) await send(tx, dep);
    },
    async claim() {
      if (clock.now().getTime() - lastSweep >= sweepMs) await sweep();
      // Jobs that step aside come back later than those behind them, so a line of one org's
      // deployments is walked through once, not again and again, and another org's job is reached.
      for (let round = 0; round < ROUNDS_PER_CLAIM; round++) {
        const r = await claimRound();
        if (r.dep || !r.more) return r.dep;
      }
      return undefined;
    },
    async requeue(dep) {
      return db.transaction().execute(async (tx) => {
        if (!(await putBack(tx, dep.id))) return false;
        await send(tx, dep);
        return true;
      });
    },
    async stop() {
      const b = boss;
      boss = undefined;
      await b?.stop({ graceful: false, close: false, wait: true, timeout: 1000 });
    },
  };
}

import type { Logger } from '../types.js';
import type { DeploymentRow } from './queue.js';

export interface WorkerPool {
  start(): void;
  /** Something may be runnable now (a deployment was queued or one finished). */
  wake(): void;
  /**
   * Stops claiming (SIGTERM): running deployments get up to `graceMs` to finish, undisturbed.
   * Returns the ids still running then; a later `stop()` leaves those alone (not aborted, not
   * awaited) for the interruption logic (reapStale, or the SQLite start-up sweep).
   */
  drain(graceMs: number): Promise<{ stillRunning: string[] }>;
  /** Stops taking work, aborts running deployments' signals and waits for them to end. */
  stop(): Promise<void>;
}

/**
 * `count` loops in this process. Each claims the next runnable deployment and runs it; with
 * nothing to do it sleeps until woken or until `pollMs` passes (the poll picks up work queued
 * by another engine process on the same database).
 */
export function createWorkerPool(opts: {
  count: number;
  pollMs: number;
  logger: Logger;
  claim: () => Promise<DeploymentRow | undefined>;
  run: (dep: DeploymentRow, signal: AbortSignal) => Promise<void>;
}): WorkerPool {
  let stopping = false;
  let abandoned = false;
  let loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();
  // Each run's controller and its deployment id.
  const running = new Map<AbortController, string>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  // Counts wake() calls, so a wake that comes while a loop is busy claiming (not yet asleep) is
  // not lost: the loop sees the count moved and looks again instead of sleeping for pollMs.
  let wakes = 0;
  const wake = () => {
    wakes++;
    for (const s of [...sleepers]) s();
  };

  async function loop(n: number): Promise<void> {
    while (!stopping) {
      let dep: DeploymentRow | undefined;
      const seen = wakes;
      try {
        dep = await opts.claim();
      } catch (e) {
        if (stopping) return;
        opts.logger.error('could not claim a deployment', { worker: n, err: e });
        await sleep(opts.pollMs);
        continue;
      }
      if (!dep) {
        if (wakes === seen) await sleep(opts.pollMs);
        continue;
      }
      // Which engine process runs which deployment (another engine fails it if this one dies).
      opts.logger.info('claimed a deployment', { worker: n, deploymentId: dep.id, instanceId: dep.instance_id });
      // One controller per run, so listeners a component adds die with its run.
      const controller = new AbortController();
      running.set(controller, dep.id);
      try {
        await opts.run(dep, controller.signal);
      } catch (e) {
        opts.logger.error('deployment run failed to record its end', { worker: n, deploymentId: dep.id, err: e });
      } finally {
        running.delete(controller);
      }
      // The instance is free again: another worker may be waiting for it.
      wake();
    }
  }

  return {
    start() {
      if (loops.length > 0 || stopping) return;
      // 0 workers (HANGAR_WORKERS=0): this process only serves the API; another one deploys.
      loops = Array.from({ length: Math.max(0, opts.count) }, (_, i) => loop(i));
    },
    wake,
    async drain(graceMs) {
      stopping = true;
      wake();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.all(loops).then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), graceMs); }),
      ]);
      clearTimeout(timer);
      if (timedOut && running.size > 0) abandoned = true;
      return { stillRunning: [...running.values()] };
    },
    async stop() {
      stopping = true;
      if (abandoned) {
        opts.logger.warn('leaving deployments that outlived the shutdown grace period to the interruption logic', { deploymentIds: [...running.values()] });
        wake();
        loops = [];
        return;
      }
      for (const c of running.keys()) c.abort();
      wake();
      await Promise.all(loops);
      loops = [];
    },
  };
}

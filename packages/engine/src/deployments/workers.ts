import type { Logger } from '../types.js';
import type { DeploymentRow } from './queue.js';

export interface WorkerPool {
  start(): void;
  /** Something may be runnable now (a deployment was queued or one finished). */
  wake(): void;
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
  let loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();
  const running = new Set<AbortController>();

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
      // One controller per run, so listeners a component adds die with its run.
      const controller = new AbortController();
      running.add(controller);
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
      loops = Array.from({ length: Math.max(1, opts.count) }, (_, i) => loop(i));
    },
    wake,
    async stop() {
      stopping = true;
      for (const c of running) c.abort();
      wake();
      await Promise.all(loops);
      loops = [];
    },
  };
}

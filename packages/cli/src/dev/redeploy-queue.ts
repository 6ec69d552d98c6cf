/**
 * When `hangar dev` redeploys: file events are gathered for a quiet period (the debounce), then
 * one deploy runs with every path changed so far. Events that come while a deploy runs queue
 * exactly one more deploy after it, however many there were; it gets all of their paths.
 * The clock is passed in so tests drive time by hand.
 */

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface RedeployQueueOptions {
  readonly debounceMs: number;
  readonly timers?: Timers;
  /** Runs one deploy for these changed paths (sorted, each once). Its rejection is the caller's to
   * report: the queue goes on either way. */
  readonly run: (changed: readonly string[]) => Promise<void>;
}

export interface RedeployQueue {
  /** A file changed (or was added or removed). */
  changed(path: string): void;
  /** Run a deploy now (no debounce), or once the running one ends. */
  deployNow(): void;
  /** True while a deploy runs. */
  readonly running: boolean;
  /** Resolves when no deploy runs and none is waiting (debounced or queued). */
  idle(): Promise<void>;
  /** Stop: drop what is pending; a running deploy is not interrupted (its promise is returned). */
  close(): Promise<void>;
}

export function createRedeployQueue(options: RedeployQueueOptions): RedeployQueue {
  const timers = options.timers ?? systemTimers;
  let pending = new Set<string>();
  let timer: unknown;
  let current: Promise<void> | undefined;
  /** Set when the debounce ended during a deploy: one more deploy follows it. */
  let queued = false;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const isIdle = () => current === undefined && timer === undefined && !queued;
  const settleIdle = () => {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const start = () => {
    queued = false;
    const paths = [...pending].sort();
    pending = new Set();
    current = options.run(paths).catch(() => undefined).then(() => {
      current = undefined;
      if (queued && !closed) start();
      else settleIdle();
    });
  };

  const fire = () => {
    timer = undefined;
    if (closed) return;
    if (current) queued = true; // however many events came during the deploy: one more deploy
    else start();
  };

  return {
    changed(path) {
      if (closed) return;
      pending.add(path);
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = timers.setTimeout(fire, options.debounceMs);
    },
    deployNow() {
      if (closed) return;
      if (timer !== undefined) timers.clearTimeout(timer);
      fire();
    },
    get running() { return current !== undefined; },
    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise((resolve) => { idleWaiters.push(resolve); });
    },
    close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      queued = false;
      pending.clear();
      const running = current ?? Promise.resolve();
      return running.then(() => settleIdle());
    },
  };
}

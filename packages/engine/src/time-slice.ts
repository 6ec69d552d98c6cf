/**
 * Lets a long loop on the event loop give other work a turn once it has run for `budgetMs`:
 *
 *   const slice = timeSlice();
 *   for (const x of many) { if (slice.due()) await slice.next(); work(x); }
 *
 * A fixed count per turn cannot fit both a fast machine and a loaded one: 100 blobs a turn took
 * 3 ms on one run and 40 on another. `due()` only reads the clock; `next()` waits one turn of the
 * loop (setImmediate, after pending I/O) and starts a new slice.
 */
export interface TimeSlice {
  due(): boolean;
  next(): Promise<void>;
}

export function timeSlice(budgetMs = 8, now: () => number = () => performance.now()): TimeSlice {
  let start = now();
  return {
    due: () => now() - start >= budgetMs,
    next: () => new Promise<void>((resolve) => setImmediate(() => {
      start = now();
      resolve();
    })),
  };
}

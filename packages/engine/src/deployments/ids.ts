import { randomBytes } from 'node:crypto';
import type { Clock } from '../types.js';

/**
 * Time-ordered ids (`dep_` + 12 hex of epoch ms + 4 hex counter + 8 hex random): sorting by id
 * sorts by creation, which is the queue's FIFO order. Monotonic within one process even when
 * the clock stands still; across processes, ties inside one millisecond fall to the random part.
 * `after` (an id of the same shape) is a floor: the new id sorts after it even if this process's
 * clock is behind the one that made it.
 */
export function createOrderedIds(clock: Clock, prefix: string): (after?: string) => string {
  let lastMs = -1;
  let counter = 0;
  const floorOf = (id: string): { ms: number; counter: number } | undefined => {
    const m = new RegExp(`^${prefix}_([0-9a-f]{12})([0-9a-f]{4})[0-9a-f]{8}$`).exec(id);
    return m ? { ms: parseInt(m[1]!, 16), counter: parseInt(m[2]!, 16) } : undefined;
  };
  return (after) => {
    const ms = Math.max(clock.now().getTime(), lastMs);
    counter = ms === lastMs ? counter + 1 : 0;
    lastMs = ms;
    const floor = after ? floorOf(after) : undefined;
    if (floor && (lastMs < floor.ms || (lastMs === floor.ms && counter <= floor.counter))) {
      lastMs = floor.ms;
      counter = floor.counter + 1;
    }
    if (counter > 0xffff) {
      lastMs += 1;
      counter = 0;
    }
    return `${prefix}_${lastMs.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
  };
}

export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

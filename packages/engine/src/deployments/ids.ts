import { randomBytes } from 'node:crypto';
import type { Clock } from '../types.js';

/**
 * Time-ordered ids (`dep_` + 12 hex of epoch ms + 4 hex counter + 8 hex random): sorting by id
 * sorts by creation, which is the queue's FIFO order. Monotonic within one process even when
 * the clock stands still; across processes, ties inside one millisecond fall to the random part.
 */
export function createOrderedIds(clock: Clock, prefix: string): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const ms = Math.max(clock.now().getTime(), lastMs);
    counter = ms === lastMs ? counter + 1 : 0;
    lastMs = ms;
    if (counter > 0xffff) {
      lastMs = ms + 1;
      counter = 0;
    }
    return `${prefix}_${lastMs.toString(16).padStart(12, '0')}${counter.toString(16).padStart(4, '0')}${randomBytes(4).toString('hex')}`;
  };
}

export function randomId(prefix: string): string {
  return `${prefix}_${randomBytes(10).toString('hex')}`;
}

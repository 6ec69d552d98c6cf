import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the calling thread's scheduling priority to `nice` (default 10). The engine's worker
 * threads (compression, the blob writer) call it first thing: on a machine of few cores they, the
 * CLI and the event loop's thread all want the CPU during a first deploy, and the event loop, which
 * answers the API, should get it first. Linux gives each thread its own nice value, set by thread
 * id (`/proc/thread-self`); elsewhere, or if refused, nothing changes and this answers false.
 */
export function lowerThisThreadPriority(nice = 10): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}

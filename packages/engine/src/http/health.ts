/**
 * `/healthz` (liveness: the process answers) and `/readyz` (readiness: the database answers within
 * a couple of seconds, every migration this engine knows is applied, and the engine is not
 * draining). Public and cheap: no credential, no secret and no version in the answer; a load
 * balancer polls them. A draining engine answers 503 on /readyz so the balancer stops sending it
 * work, while it keeps serving the requests it still gets.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { healthzRoute, readyzRoute } from '@hangar/core/api';
import type { Db } from '../types.js';
import { registerRoute } from './route.js';

export interface HealthDeps {
  readonly db: Db;
  /** The migrations this engine knows that the store has not applied. */
  readonly pending: () => Promise<readonly string[]>;
  readonly draining: () => boolean;
  /** How long the database may take to answer, in ms (default 2000). */
  readonly timeoutMs?: number;
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new Error('timed out')), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  const timeoutMs = deps.timeoutMs ?? 2000;
  // Migrations are never un-applied while the engine runs: once seen complete, only the database is asked.
  let migrated = false;

  registerRoute(app, healthzRoute, async () => ({ status: 'ok' as const }));

  registerRoute(app, readyzRoute, async ({ status }) => {
    let database: 'ok' | 'unreachable' = 'ok';
    let migrations: 'ok' | 'pending' | 'unknown' = migrated ? 'ok' : 'unknown';
    try {
      await within(sql`select 1`.execute(deps.db), timeoutMs);
      if (!migrated) {
        migrations = (await within(deps.pending(), timeoutMs)).length === 0 ? 'ok' : 'pending';
        migrated = migrations === 'ok';
      }
    } catch {
      database = 'unreachable';
    }
    const draining = deps.draining();
    const ready = database === 'ok' && migrations === 'ok' && !draining;
    if (!ready) status(503);
    return { status: ready ? 'ready' as const : 'unavailable' as const, checks: { database, migrations, draining } };
  });
}

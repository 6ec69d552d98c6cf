import { join } from 'node:path';
import { getComponent } from '@hangar/components';
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';
import { createFsBlobStore, type BlobStore } from '../source/blob-store.js';
import { createSourceCache, type SourceCache } from '../source/source-cache.js';
import { registerSourceRoutes } from '../source/routes.js';
import { sourceMigrations } from '../source/tables.js';
import { registerInstanceRoutes } from '../instances/routes.js';
import { dialectOf } from '../store/db.js';
import { createDeploymentBus } from './bus.js';
import type { ComponentLookup } from './components.js';
import { createOrderedIds } from './ids.js';
import { claimNext, reapStale } from './queue.js';
import { registerDeploymentRoutes } from './routes.js';
import { runDeployment } from './runner.js';
import { createDeploymentService, type DeploymentService } from './service.js';
import { deploymentMigrations } from './tables.js';
import { createWorkerPool } from './workers.js';

export type { ComponentLookup, RunnableComponent } from './components.js';
export type { DeploymentView, InstanceView } from './views.js';

/** Optional seams, for tests and for other deployments of the engine (e.g. blobs in S3). */
export interface DeploymentsOptions {
  /** Component lookup; default @hangar/components' getComponent. */
  readonly lookup?: ComponentLookup;
  /** Default: the filesystem under `config.dataDir/blobs`. */
  readonly blobs?: BlobStore;
  /** How often idle workers and event streams look at the database for work done by another process; default 1000 ms. */
  readonly pollMs?: number;
  /** How often a run asks its credential session for fresh credentials; default 60 s. */
  readonly refreshMs?: number;
  /** How often a running deployment renews its heartbeat; default 15 s. */
  readonly heartbeatMs?: number;
  /** A running deployment whose heartbeat is older than this is failed as DEPLOY_INTERRUPTED; default 2 min. */
  readonly staleMs?: number;
}

export interface DeploymentsFeature extends Feature {
  readonly source: SourceCache;
  readonly deployments: DeploymentService;
}

/**
 * The source cache (manifests, blobs, code packages), the deployment queue with its in-process
 * workers (one deployment per instance at a time), logs and their event streams, and instances.
 */
export function createDeploymentsFeature(deps: CoreDeps & { broker: CredentialBroker } & DeploymentsOptions): DeploymentsFeature {
  const { db, clock, config } = deps;
  const logger = deps.logger.child({ feature: 'deployments' });
  const lookup: ComponentLookup = deps.lookup ?? ((name) => getComponent(name));
  const pollMs = deps.pollMs ?? 1000;
  const blobs = deps.blobs ?? createFsBlobStore(join(config.dataDir, 'blobs'));
  const source = createSourceCache({ db, blobs, clock, limits: config.limits, packagesDir: join(config.dataDir, 'packages') });
  const bus = createDeploymentBus();
  const workers = createWorkerPool({
    count: config.workers,
    pollMs,
    logger,
    claim: async () => {
      await reapStale(db, clock, deps.staleMs ?? 120_000);
      return claimNext(db, clock);
    },
    run: (dep, signal) =>
      runDeployment({ db, clock, logger, audit: deps.audit, broker: deps.broker, lookup, source, bus, ...(deps.refreshMs ? { refreshMs: deps.refreshMs } : {}), ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}) }, dep, signal),
  });
  const service = createDeploymentService({ db, clock, lookup, source, newDeploymentId: createOrderedIds(clock, 'dep'), queued: () => workers.wake() });

  return {
    name: 'deployments',
    migrations: { ...deploymentMigrations, ...sourceMigrations },
    source,
    deployments: service,
    async register(app) {
      await registerSourceRoutes(app, source, config.limits);
      await registerDeploymentRoutes(app, { service, db, bus, pollMs, logger });
      await registerInstanceRoutes(app, service);
    },
    async start() {
      if (dialectOf(db) === 'sqlite') {
        // One process owns a SQLite store: a run still marked running was cut short by a restart.
        await db
          .updateTable('deployments')
          .set({ status: 'failed', error_code: 'DEPLOY_INTERRUPTED', error_message: 'The engine stopped while this deployment was running; deploy again.', finished_at: clock.now().toISOString() })
          .where('status', '=', 'running')
          .execute();
      }
      workers.start();
    },
    async drain(graceMs) {
      const r = await workers.drain(graceMs);
      logger.info(r.stillRunning.length ? 'shutdown grace period over; deployments still running' : 'drained: no deployment running', { stillRunning: r.stillRunning });
      return r;
    },
    async stop() {
      await workers.stop();
    },
  };
}

import { join } from 'node:path';
import { componentNotFound, getComponent, listComponents, validateInputs } from '@hangar/components';
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';
import { createBlobStores, type BlobStore } from '../source/blob-store-of.js';
import { createSourceCache, type SourceCache } from '../source/source-cache.js';
import { registerSourceRoutes } from '../source/routes.js';
import { sourceMigrations } from '../source/tables.js';
import { registerInstanceRoutes } from '../instances/routes.js';
import type pg from 'pg';
import { createDeploymentBus, type DeploymentBus } from './bus.js';
import { createPgDeploymentBus } from './pg-bus.js';
import type { ComponentLookup } from './components.js';
import { createOrderedIds } from './ids.js';
import { reapInterrupted } from './queue.js';
import { createSqlQueue, type DeploymentQueue } from './job-queue.js';
import { createPgBossQueue } from './pg-queue.js';
import { dialectOf } from '../store/db.js';
import { registerDeploymentRoutes } from './routes.js';
import { runDeployment } from './runner.js';
import { componentsPackageVersion } from './fingerprint.js';
import { startSourceGc } from '../source/gc.js';
import { createDeploymentService, type DeploymentService } from './service.js';
import { deploymentMigrations } from './tables.js';
import { createWorkerPool } from './workers.js';

export type { ComponentLookup, RunnableComponent } from './components.js';
export type { DeploymentView, InstanceView } from './views.js';

/** Optional seams, for tests and for other deployments of the engine (e.g. blobs in S3). */
export interface DeploymentsOptions {
  /** Component lookup; default @hangar/components' getComponent. */
  readonly lookup?: ComponentLookup;
  /** The names `lookup` knows (listed by COMPONENT_NOT_FOUND); default the built-ins' names, or none with a custom lookup. */
  readonly componentNames?: () => readonly string[];
  /** Default: from `config.blobs` (S3), else the filesystem under `config.dataDir/blobs`. */
  readonly blobs?: BlobStore;
  /** How often idle workers and event streams look at the database for work done by another process; default 1000 ms. */
  readonly pollMs?: number;
  /**
   * PostgreSQL: a client outside the pool (`Store.listenClient`). With it, log lines and status
   * changes fan out to every engine through LISTEN/NOTIFY, and event streams poll only every
   * `streamHeartbeatMs` while the listener is up (every `pollMs` while it reconnects).
   */
  readonly listenClient?: () => pg.Client;
  /** How often an idle event stream sends a keep-alive (and looks at the store regardless); default 15 s. */
  readonly streamHeartbeatMs?: number;
  /** How often a run asks its credential session for fresh credentials; default 60 s. */
  readonly refreshMs?: number;
  /** How often a running deployment renews its heartbeat; default a third of the lease. */
  readonly heartbeatMs?: number;
  /** The lease: a running deployment whose heartbeat is older than this is failed as DEPLOY_INTERRUPTED; default config.queue.leaseMs (30 s). */
  readonly staleMs?: number;
  /** Which queue: default pg-boss on PostgreSQL, the SQL claim on SQLite (tests may pick `sql` on PostgreSQL). */
  readonly queue?: 'sql' | 'pg-boss';
  /** pg-boss queue: how long a job that may not run yet steps aside, in seconds; default 1. */
  readonly deferSeconds?: number;
  /**
   * This process holds the store's exclusive lock (a SQLite data dir taken with lockDataDir), so a
   * deployment still marked running at start was cut short by this engine's own stop or crash:
   * start-up fails them all as DEPLOY_INTERRUPTED. Otherwise (PostgreSQL, shared by several
   * engines; or a store the caller opened) only deployments whose heartbeat lease expired are.
   */
  readonly exclusiveStore?: boolean;
}

export interface DeploymentsFeature extends Feature {
  readonly source: SourceCache;
  readonly deployments: DeploymentService;
  /** "Deployment X has news" in this process (apps follow their instances' deployments with it). */
  readonly bus: DeploymentBus;
  /** Throws COMPONENT_NOT_FOUND (listing the known ones) for a component this engine does not have. */
  checkComponent(name: string): void;
  /** Throws COMPONENT_INPUTS_INVALID (naming each input) when `inputs` do not fit the component's. */
  checkInputs(component: string, inputs: unknown): void;
}

/**
 * The source cache (manifests, blobs, code packages), the deployment queue with its in-process
 * workers (one deployment per instance at a time), logs and their event streams, and instances.
 */
export function createDeploymentsFeature(deps: CoreDeps & { broker: CredentialBroker } & DeploymentsOptions): DeploymentsFeature {
  const { db, clock, config } = deps;
  const logger = deps.logger.child({ feature: 'deployments' });
  const lookup: ComponentLookup = deps.lookup ?? ((name) => getComponent(name));
  const componentNames = deps.componentNames ?? (deps.lookup ? () => [] : () => listComponents().map((c) => c.name));
  const pollMs = deps.pollMs ?? 1000;
  const stores = deps.blobs ? { blobs: deps.blobs } : createBlobStores(config);
  const source = createSourceCache({
    db, blobs: stores.blobs, clock, limits: config.limits, packagesDir: join(config.dataDir, 'packages'),
    ...(stores.packages ? { sharedPackages: stores.packages, onWarn: (msg: string, fields: Record<string, unknown>) => logger.warn(msg, fields) } : {}),
  });
  const bus = deps.listenClient ? createPgDeploymentBus({ db, listenClient: deps.listenClient, logger }) : createDeploymentBus();
  const staleMs = deps.staleMs ?? config.queue?.leaseMs ?? 30_000;
  const heartbeatMs = deps.heartbeatMs ?? Math.max(50, Math.floor(staleMs / 3));
  const orgLimit = config.queue?.orgConcurrency ?? 4;
  // Reaped deployments are announced on the bus, so streams on every engine see `failed` at once.
  const reapDeps = { db, clock, audit: deps.audit, notify: (id: string) => bus.notify(id) };
  const componentVersion = componentsPackageVersion();
  let gc: { stop(): Promise<void> } | undefined;
  const queue: DeploymentQueue = (deps.queue ?? (dialectOf(db) === 'postgres' ? 'pg-boss' : 'sql')) === 'pg-boss'
    ? createPgBossQueue({ db, clock, logger, orgLimit, ...(deps.deferSeconds !== undefined ? { deferSeconds: deps.deferSeconds } : {}) })
    : createSqlQueue({ db, clock, orgLimit });
  const workers = createWorkerPool({
    count: config.workers,
    pollMs,
    logger,
    claim: async () => {
      const reaped = await reapInterrupted(reapDeps, { staleMs, reason: 'The engine process running this deployment stopped (no heartbeat); deploy again. The previous state was kept.' });
      if (reaped) logger.warn('deployments whose engine stopped heartbeating were marked failed', { count: reaped });
      return queue.claim();
    },
    run: (dep, signal) =>
      runDeployment({ db, clock, logger, audit: deps.audit, broker: deps.broker, lookup, source, bus, requeue: (d) => queue.requeue(d), componentVersion, ...(deps.refreshMs ? { refreshMs: deps.refreshMs } : {}), heartbeatMs }, dep, signal),
  });
  const service = createDeploymentService({ db, clock, lookup, componentNames, source, newDeploymentId: createOrderedIds(clock, 'dep'), enqueue: (tx, dep) => queue.enqueue(tx, dep), queued: () => workers.wake() });

  return {
    name: 'deployments',
    migrations: { ...deploymentMigrations, ...sourceMigrations },
    source,
    deployments: service,
    bus,
    checkComponent(name) {
      if (!lookup(name)) throw componentNotFound(name, componentNames());
    },
    checkInputs(name, inputs) {
      const component = lookup(name);
      if (!component) throw componentNotFound(name, componentNames());
      validateInputs(component, inputs);
    },
    async register(app) {
      await registerSourceRoutes(app, source, config.limits, (name) => {
        if (!lookup(name)) throw componentNotFound(name, componentNames());
      });
      await registerDeploymentRoutes(app, { service, db, bus, pollMs, logger, ...(deps.streamHeartbeatMs ? { heartbeatMs: deps.streamHeartbeatMs } : {}) });
      await registerInstanceRoutes(app, service);
    },
    async start() {
      await bus.start?.();
      if (deps.exclusiveStore) {
        // Nobody else can be running them: what is still marked running was cut short when this
        // engine last stopped (a crash or kill -9 included). Each gets its finished audit event.
        const n = await reapInterrupted(reapDeps, { reason: 'The engine stopped while this deployment was running; deploy again. The previous state was kept.' });
        if (n) logger.warn('deployments interrupted by the previous engine stop were marked failed', { count: n });
      } else {
        // Shared store: only runs whose engine stopped renewing their lease; live ones are left alone.
        const n = await reapInterrupted(reapDeps, { staleMs, reason: 'The engine process running this deployment stopped (no heartbeat); deploy again. The previous state was kept.' });
        if (n) logger.warn('deployments whose engine stopped heartbeating were marked failed', { count: n });
      }
      await queue.start();
      workers.start();
      if (config.sourceGc && config.sourceGc.intervalMs > 0) {
        gc = startSourceGc({ db, blobs: stores.blobs, clock, logger, packagesDir: join(config.dataDir, 'packages'), retainDeployments: config.sourceGc.retainDeployments, intervalMs: config.sourceGc.intervalMs });
      }
    },
    async drain(graceMs) {
      const r = await workers.drain(graceMs);
      logger.info(r.stillRunning.length ? 'shutdown grace period over; deployments still running' : 'drained: no deployment running', { stillRunning: r.stillRunning });
      return r;
    },
    async stop() {
      await workers.stop();
      await gc?.stop();
      await queue.stop();
      await bus.close?.();
      await source.close();
    },
  };
}

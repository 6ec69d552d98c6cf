import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock, CoreDeps, Db, EngineConfig, Feature, Logger } from './types.js';
import { createAudit, type Audit } from './audit/audit.js';
import { createErrorHandler, notFoundHandler } from './http/errors.js';
import { installAuth, type Authenticator } from './http/auth.js';
import { createLogger, scrubberOf } from './logger.js';
import { createPlatformFeature, type Bootstrap } from './platform.js';
import { dialectOf, openStore, type Store } from './store/db.js';
import { lockDataDir, lockFile, type DataDirLock } from './store/data-dir-lock.js';
import { collectMigrations, migrateToLatest } from './store/migrate.js';
import { createProvidersFeature } from './providers/index.js';
import { createDeploymentsFeature } from './deployments/index.js';
import { createSessionFeature } from './session/index.js';

export interface CreateEngineOptions {
  readonly config: EngineConfig;
  readonly clock?: Clock;
  /** Default: JSON lines on stderr at "info". */
  readonly logger?: Logger;
  /** An open store to use instead of opening `config.database`; the caller closes it. */
  readonly db?: Db;
  /** Extra authenticators tried after API tokens (more can be added with `app.addAuthenticator`). */
  readonly authenticators?: readonly Authenticator[];
  /** Largest JSON body accepted by default, in bytes (routes may set their own `bodyLimit`); default 1 MiB. */
  readonly bodyLimit?: number;
  /** The built dashboard served at "/" (default: packages/dashboard/dist). */
  readonly dashboardDir?: string;
  /**
   * SQLite only: the lock on `config.dataDir` when the caller already holds it (`hangar up` takes
   * it before starting anything). The engine then does not take its own, and does not release this
   * one on close. Without it, an engine that opens a SQLite store takes the lock itself.
   */
  readonly dataDirLock?: DataDirLock;
}

export interface RouteInfo { readonly method: string; readonly url: string }

export interface Engine {
  readonly app: FastifyInstance;
  readonly db: Db;
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly audit: Audit;
  readonly bootstrap: Bootstrap;
  /** Every route registered, by every feature (for docs and for tests that walk them all). */
  readonly routes: readonly RouteInfo[];
  /** Stop the features, the HTTP server and (if the engine opened it) the store. Safe to call twice. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

/**
 * Open the store, run every feature's migrations, register their routes and start them.
 *
 * @example
 * const engine = await createEngine({ config });
 * const { org, token } = await engine.bootstrap.createOrg({ name: 'acme', owner: { email: 'a@acme.dev' } });
 * await engine.app.inject({ url: '/api/v1/whoami', headers: { authorization: `Bearer ${token.token}` } });
 */
export async function createEngine(options: CreateEngineOptions): Promise<Engine> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ clock });
  logger.addSecret(config.aws.credentials.secretAccessKey);
  logger.addSecret(config.aws.credentials.accessKeyId);

  // One engine per SQLite store: take the data dir's lock before opening (or recovering) anything.
  // The OS drops it when this process ends, however it ends. PostgreSQL is shared by design.
  const locks: DataDirLock[] = [];
  const exclusiveStore = !options.db && config.database.kind === 'sqlite' && config.database.path !== ':memory:';
  if (exclusiveStore && config.database.kind === 'sqlite') {
    if (!options.dataDirLock) locks.push(lockDataDir(config.dataDir));
    const dbPath = resolve(config.database.path);
    if (dirname(dbPath) !== resolve(config.dataDir)) {
      try {
        locks.push(lockFile(`${dbPath}.engine-lock`, `the database ${dbPath}`));
      } catch (err) {
        for (const l of locks) l.release();
        throw err;
      }
    }
  }
  const releaseLocks = () => { for (const l of locks.splice(0).reverse()) l.release(); };

  let store: Store | undefined;
  let db: Db;
  try {
    db = options.db ?? (store = await openStore(config.database, { onPoolError: (err) => logger.warn('database connection lost; the pool will reconnect', { err }) })).db;
  } catch (err) {
    releaseLocks();
    throw err;
  }
  const started: Feature[] = [];
  let app: FastifyInstance | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const f of [...started].reverse()) {
      try { await f.stop?.(); } catch (err) { logger.error('feature failed to stop', { feature: f.name, err }); }
    }
    try {
      if (app) await app.close();
      if (store) await store.close();
    } finally {
      releaseLocks();
    }
  };

  try {
    const scrub = scrubberOf(logger);
    const audit = createAudit(db, clock, scrub ? { scrub } : {});
    const deps: CoreDeps = { db, clock, logger, audit, config };
    const platform = createPlatformFeature({ ...deps, audit });
    const providers = createProvidersFeature(deps);
    const deployments = createDeploymentsFeature({ ...deps, broker: providers.broker, exclusiveStore });
    const session = createSessionFeature(deps, options.dashboardDir ? { dashboardDir: options.dashboardDir } : {});
    const features: Feature[] = [platform, providers, deployments, session];

    const applied = await migrateToLatest(db, collectMigrations(features));
    if (applied.length) logger.info('database migrated', { applied });

    app = Fastify({
      logger: false,
      bodyLimit: options.bodyLimit ?? 1024 * 1024,
      genReqId: () => `req_${randomBytes(6).toString('hex')}`,
    });
    const routes: RouteInfo[] = [];
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url });
    });
    app.setErrorHandler(createErrorHandler(logger));
    app.setNotFoundHandler(notFoundHandler);
    app.addHook('onRequest', async (request, reply) => { reply.header('x-request-id', request.id); });
    app.addHook('onResponse', async (request, reply) => {
      logger.debug('request', { reqId: request.id, method: request.method, route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
    });
    installAuth(app, db, [platform.tokens.authenticator, ...(options.authenticators ?? [])]);

    for (const f of features) await f.register(app);
    await app.ready();
    for (const f of features) {
      await f.start?.();
      started.push(f);
    }
    logger.info('engine ready', { publicUrl: config.publicUrl, database: dialectOf(db), features: features.map((f) => f.name) });
    return { app, db, config, logger, clock, audit, bootstrap: platform.bootstrap, routes, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

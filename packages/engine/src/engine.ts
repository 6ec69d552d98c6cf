import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { HangarError } from '@hangar/core';
import type { Clock, CoreDeps, Db, EngineConfig, Feature, Logger } from './types.js';
import { createAudit, type Audit } from './audit/audit.js';
import { createErrorHandler, notFoundHandler } from './http/errors.js';
import { installJsonBodyParser } from './http/json-body.js';
import { installAuth, type Authenticator } from './http/auth.js';
import { createLogContext, createLogger, scrubberOf } from './logger.js';
import { createPlatformFeature, type Bootstrap, type PlatformFeature } from './platform.js';
import { dialectOf, openStore, type Store } from './store/db.js';
import { lockDataDir, lockFile, type DataDirLock } from './store/data-dir-lock.js';
import { collectMigrations, migrateToLatest, pendingMigrations } from './store/migrate.js';
import { createProvidersFeature } from './providers/index.js';
import { createDeploymentsFeature } from './deployments/index.js';
import { createSessionFeature } from './session/index.js';
import { createCheckpoints, defaultCheckpointSettings, type Checkpoints } from './audit/checkpoints.js';
import { auditCheckpointsMigration } from './audit/checkpoint-tables.js';
import { loadCheckpointSigner, trustedCheckpointKeys } from './audit/checkpoint-key.js';
import { createAuditCheckpointsFeature } from './audit/checkpoint-feature.js';
import { createInvitationsFeature } from './invitations/index.js';
import { createCiTrustFeature } from './ci-trust/index.js';
import { createFunctionsFeature } from './functions/index.js';

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
   * Bring the schema up to date (default). False (HANGAR_MIGRATE=off): refuse to start with
   * ENGINE_DATABASE_BEHIND when a migration is pending, e.g. when upgrades are migrated by a separate job.
   */
  readonly migrate?: boolean;
  /**
   * SQLite only: the lock on `config.dataDir` when the caller already holds it (`hangar up` takes
   * it before starting anything). The engine then does not take its own, and does not release this
   * one on close. Without it, an engine that opens a SQLite store takes the lock itself.
   */
  readonly dataDirLock?: DataDirLock;
}

/** What `drain` left behind: deployment ids still running when the grace period ended. */
export interface DrainResult { readonly finished: boolean; readonly stillRunning: readonly string[] }

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
  /**
   * Stop claiming new deployments and give the running ones up to `graceMs` to finish (the HTTP
   * API keeps answering meanwhile). Deployments still running after that are left as they are:
   * the next start (SQLite) or another engine's stale-heartbeat reaper (PostgreSQL) fails them as
   * DEPLOY_INTERRUPTED. Call `close()` after.
   */
  drain(graceMs: number): Promise<DrainResult>;
  /** Stop the features, the HTTP server and (if the engine opened it) the store. Safe to call twice. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

/**
 * Every feature, in migration order. Without `checkpoints` (the store-only commands: bootstrap,
 * check) the audit checkpoints feature contributes its migrations only.
 */
function createFeatures(deps: CoreDeps, audit: Audit, dashboardDir?: string, checkpoints?: Checkpoints, exclusiveStore = false) {
  const platform = createPlatformFeature({ ...deps, audit });
  const auditCheckpoints: Feature = checkpoints
    ? createAuditCheckpointsFeature({ checkpoints, publicUrl: deps.config.publicUrl })
    : { name: 'audit-checkpoints', migrations: { '0004_platform_audit_checkpoints': auditCheckpointsMigration }, register: async () => {} };
  const providers = createProvidersFeature(deps);
  const deployments = createDeploymentsFeature({ ...deps, broker: providers.broker, exclusiveStore });
  const session = createSessionFeature(deps, dashboardDir ? { dashboardDir } : {});
  const invitations = createInvitationsFeature(deps);
  const ciTrust = createCiTrustFeature(deps);
  const functions = createFunctionsFeature({ ...deps, broker: providers.broker, instance: (orgId, id) => deployments.deployments.instance(orgId, id) });
  const features: Feature[] = [platform, auditCheckpoints, providers, deployments, session, invitations, ciTrust, functions];
  return { platform, ciTrust, features };
}

/** Migrate, or (migrate false, HANGAR_MIGRATE=off) refuse with ENGINE_DATABASE_BEHIND when a migration is pending. */
async function prepareDatabase(db: Db, features: readonly Feature[], logger: Logger, migrate: boolean): Promise<void> {
  const migrations = collectMigrations(features);
  if (!migrate) {
    const pending = await pendingMigrations(db, migrations);
    if (pending.length > 0) {
      throw new HangarError('ENGINE_DATABASE_BEHIND',
        `The database is behind this engine: ${pending.length} migration(s) not applied (${pending.join(', ')}) and HANGAR_MIGRATE=off. ` +
        'Start the engine once with HANGAR_MIGRATE=on (or unset) to migrate it, then again with off.');
    }
    return;
  }
  const applied = await migrateToLatest(db, migrations);
  if (applied.length) logger.info('database migrated', { applied });
}

/**
 * The store without starting any feature (no workers, no HTTP), for the engine's one-shot commands
 * (`hangar-engine bootstrap`, `check`). `prepare` migrates (or refuses, migrate false); `platformOn`
 * gives the platform bound to a store or transaction, so its writes can be all or nothing.
 */
export interface EngineStore {
  readonly db: Db;
  /** Migrations this engine knows that the store has not applied. */
  pending(): Promise<string[]>;
  prepare(migrate: boolean): Promise<void>;
  platformOn(db: Db): Pick<PlatformFeature, 'bootstrap' | 'orgs'>;
  close(): Promise<void>;
}

export async function openEngineStore(options: { config: EngineConfig; logger: Logger; clock?: Clock }): Promise<EngineStore> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const store = await openStore(config.database);
  const deps = (db: Db): CoreDeps & { audit: Audit } => {
    const scrub = scrubberOf(logger);
    return { db, clock, logger, config, audit: createAudit(db, clock, scrub ? { scrub } : {}) };
  };
  const d = deps(store.db);
  const { features } = createFeatures(d, d.audit);
  return {
    db: store.db,
    pending: () => pendingMigrations(store.db, collectMigrations(features)),
    prepare: (migrate) => prepareDatabase(store.db, features, logger, migrate),
    platformOn: (db) => createPlatformFeature(deps(db)),
    close: () => store.close(),
  };
}

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
  // Every line written while a request is served carries its id (the one a 500 reply shows).
  const logContext = createLogContext();
  const logger = logContext.withContext(options.logger ?? createLogger({ clock }));
  if (config.aws.credentials) {
    logger.addSecret(config.aws.credentials.secretAccessKey);
    logger.addSecret(config.aws.credentials.accessKeyId);
  }

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
    const checkpoints = createCheckpoints({
      db, clock, logger,
      settings: config.audit
        ? { every: config.audit.checkpointEvery, intervalMs: config.audit.checkpointIntervalMs }
        : defaultCheckpointSettings,
      loadSigner: () => loadCheckpointSigner(config.dataDir),
      trustedKeys: (current) => trustedCheckpointKeys(config.dataDir, current, (msg, fields) => logger.warn(msg, fields)),
    });
    const audit = createAudit(db, clock, { ...(scrub ? { scrub } : {}), onAppended: checkpoints.afterAppend, checkpoints });
    const deps: CoreDeps = { db, clock, logger, audit, config };
    const { platform, ciTrust, features } = createFeatures(deps, audit, options.dashboardDir, checkpoints, exclusiveStore);
    await prepareDatabase(db, features, logger, options.migrate !== false);

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
    installJsonBodyParser(app);
    app.setNotFoundHandler(notFoundHandler);
    // The request's context is entered in onRequest and re-entered before validation, since body
    // parsing can run on another async path (the way @fastify/request-context does it).
    const scopes = new WeakMap<FastifyRequest, AsyncResource>();
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      logContext.run({ reqId: request.id }, () => {
        scopes.set(request, new AsyncResource('hangar-request'));
        done();
      });
    });
    app.addHook('preValidation', (request, _reply, done) => {
      const scope = scopes.get(request);
      if (scope) scope.runInAsyncScope(done, request.raw);
      else done();
    });
    app.addHook('onResponse', async (request, reply) => {
      logger.debug('request', { reqId: request.id, method: request.method, route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
    });
    installAuth(app, db, [ciTrust.authenticator, platform.tokens.authenticator, ...(options.authenticators ?? [])]);

    for (const f of features) await f.register(app);
    await app.ready();
    for (const f of features) {
      await f.start?.();
      started.push(f);
    }
    logger.info('engine ready', { publicUrl: config.publicUrl, database: dialectOf(db), features: features.map((f) => f.name) });
    const drain = async (graceMs: number): Promise<DrainResult> => {
      const results = await Promise.all(started.map((f) => f.drain?.(graceMs)));
      const stillRunning = results.flatMap((r) => r?.stillRunning ?? []);
      return { finished: stillRunning.length === 0, stillRunning };
    };
    return { app, db, config, logger, clock, audit, bootstrap: platform.bootstrap, routes, drain, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Migration } from 'kysely';
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
import { collectMigrations, migrateToLatest, pendingMigrations, unknownAppliedMigrations } from './store/migrate.js';
import { createProvidersFeature } from './providers/index.js';
import { createDeploymentsFeature, type DeploymentsOptions } from './deployments/index.js';
import { createSessionFeature } from './session/index.js';
import { createCheckpoints, defaultCheckpointSettings, type Checkpoints } from './audit/checkpoints.js';
import { auditCheckpointsMigration } from './audit/checkpoint-tables.js';
import { checkpointKeyKind, keyringCheckpointSigner, trustedCheckpointKeys } from './audit/checkpoint-key.js';
import { createAuditCheckpointsFeature } from './audit/checkpoint-feature.js';
import { createInvitationsFeature } from './invitations/index.js';
import { createCiTrustFeature } from './ci-trust/index.js';
import { createFunctionsFeature } from './functions/index.js';
import { createKeyring, createKeysFeature, type Keyring } from './keys/index.js';
import { oidcKeyKind } from './providers/oidc.js';
import { registerHealthRoutes } from './http/health.js';
import { createAppsFeature } from './apps/index.js';

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
  /**
   * PostgreSQL with a caller-opened `db`: a client factory outside its pool (`Store.listenClient`),
   * so deployment progress fans out to every engine (LISTEN/NOTIFY). An engine that opens its own
   * PostgreSQL store makes one itself; without one, streams poll for runs in other processes.
   */
  readonly listenClient?: Store['listenClient'];
  /** Seams of the deployments feature (poll intervals, a blob store); default from `config`. */
  readonly deployments?: Omit<DeploymentsOptions, 'exclusiveStore' | 'listenClient'>;
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
  /** The signing keys shared through the store (OIDC tokens, audit checkpoints). */
  readonly keyring: Keyring;
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

/** The signing keys shared through the store (OIDC, audit checkpoints); `prepare()` before use. */
function keyringFor(db: Db, clock: Clock, logger: Logger, config: EngineConfig): Keyring {
  return createKeyring({
    db, clock, logger, dataDir: config.dataDir,
    ...(config.secretKey !== undefined ? { secretKey: config.secretKey } : {}),
    kinds: { oidc: oidcKeyKind(config.dataDir), audit: checkpointKeyKind(config.dataDir) },
  });
}

/**
 * Every feature, in migration order. Without `checkpoints` (the store-only commands: bootstrap,
 * check) the audit checkpoints feature contributes its migrations only.
 */
function createFeatures(deps: CoreDeps & { keyring: Keyring }, audit: Audit, dashboardDir?: string, checkpoints?: Checkpoints, exclusiveStore = false, deploymentsOptions: DeploymentsOptions = {}) {
  const platform = createPlatformFeature({ ...deps, audit });
  const auditCheckpoints: Feature = checkpoints
    ? createAuditCheckpointsFeature({ checkpoints, publicUrl: deps.config.publicUrl })
    : { name: 'audit-checkpoints', migrations: { '0004_platform_audit_checkpoints': auditCheckpointsMigration }, register: async () => {} };
  const providers = createProvidersFeature(deps);
  const deployments = createDeploymentsFeature({ ...deps, ...deploymentsOptions, broker: providers.broker, exclusiveStore });
  const session = createSessionFeature(deps, dashboardDir ? { dashboardDir } : {});
  const invitations = createInvitationsFeature(deps);
  const ciTrust = createCiTrustFeature(deps);
  const functions = createFunctionsFeature({ ...deps, broker: providers.broker, instance: (orgId, id) => deployments.deployments.instance(orgId, id) });
  const apps = createAppsFeature({
    ...deps, deployments: deployments.deployments, checkComponent: (name) => deployments.checkComponent(name),
    checkInputs: (name, inputs) => deployments.checkInputs(name, inputs),
    subscribe: (id, listener) => deployments.bus.subscribe(id, listener),
  });
  const features: Feature[] = [platform, auditCheckpoints, providers, deployments, session, invitations, ciTrust, functions, apps, createKeysFeature()];
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
  const newer = await unknownAppliedMigrations(db, migrations);
  if (newer.length) logger.warn('the database was migrated by a newer engine: this one runs alongside it (a rolling upgrade); finish the upgrade', { migrations: newer });
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
  /** Every migration this engine knows, by name (every feature's). */
  readonly migrations: Readonly<Record<string, Migration>>;
  prepare(migrate: boolean): Promise<void>;
  platformOn(db: Db): Pick<PlatformFeature, 'bootstrap' | 'orgs'>;
  /** The shared signing keys (`hangar-engine rotate-keys`); call `keyring.prepare()` after `prepare`. */
  readonly keyring: Keyring;
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
  const keyring = keyringFor(store.db, clock, logger, config);
  const { features } = createFeatures({ ...d, keyring }, d.audit);
  return {
    db: store.db,
    keyring,
    migrations: collectMigrations(features),
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
  if (config.secretKey) logger.addSecret(config.secretKey);

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
    const keyring = keyringFor(db, clock, logger, config);
    const checkpoints = createCheckpoints({
      db, clock, logger,
      settings: config.audit
        ? { every: config.audit.checkpointEvery, intervalMs: config.audit.checkpointIntervalMs }
        : defaultCheckpointSettings,
      loadSigner: keyringCheckpointSigner(keyring),
      trustedKeys: async () => trustedCheckpointKeys(config.dataDir, await keyring.all('audit'), (msg, fields) => logger.warn(msg, fields)),
    });
    const audit = createAudit(db, clock, { ...(scrub ? { scrub } : {}), onAppended: checkpoints.afterAppend, checkpoints });
    const deps: CoreDeps = { db, clock, logger, audit, config };
    const listenClient = options.listenClient ?? store?.listenClient;
    const { platform, ciTrust, features } = createFeatures({ ...deps, keyring }, audit, options.dashboardDir, checkpoints, exclusiveStore, { ...options.deployments, ...(listenClient ? { listenClient } : {}) });
    await prepareDatabase(db, features, logger, options.migrate !== false);
    // Before any feature starts: a wrong HANGAR_SECRET_KEY fails the start here, with ENGINE_SECRET_KEY_MISMATCH.
    await keyring.prepare();
    let draining = false;

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
    const migrations = collectMigrations(features);
    registerHealthRoutes(app, { db, pending: () => pendingMigrations(db, migrations), draining: () => draining });

    for (const f of features) await f.register(app);
    await app.ready();
    for (const f of features) {
      await f.start?.();
      started.push(f);
    }
    logger.info('engine ready', { publicUrl: config.publicUrl, database: dialectOf(db), features: features.map((f) => f.name) });
    const drain = async (graceMs: number): Promise<DrainResult> => {
      draining = true; // /readyz answers 503 from now on
      const results = await Promise.all(started.map((f) => f.drain?.(graceMs)));
      const stillRunning = results.flatMap((r) => r?.stillRunning ?? []);
      return { finished: stillRunning.length === 0, stillRunning };
    };
    return { app, db, config, logger, clock, audit, bootstrap: platform.bootstrap, keyring, routes, drain, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

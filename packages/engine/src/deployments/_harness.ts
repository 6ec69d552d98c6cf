// Test support (not shipped API): the deployments feature on a real store (SQLite or a fresh
// PostgreSQL schema) behind Fastify, with a header-driven stand-in for the platform's auth hook,
// the platform's error handler, a fake credential broker and a test component registry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { HangarError, SessionCredentials } from '@hangar/core';
import { orgsMigration } from '../orgs/tables.js';
import { createErrorHandler } from '../http/errors.js';
import { createLogger } from '../logger.js';
import { migrateToLatest } from '../store/migrate.js';
import { openTestStore, type TestStore } from '../store/test-store.js';
import type { AuditEventInput, CredentialBroker, CredentialRequest, EngineConfig, ResolvedProvider, Role } from '../types.js';
import { createDeploymentsFeature, type DeploymentsFeature, type DeploymentsOptions } from './index.js';

export const testProvider: ResolvedProvider = {
  id: 'prv_test', name: 'test-provider', mode: 'assume-role', roleArn: 'arn:aws:iam::111122223333:role/hangar-deployer',
  region: 'us-east-1', sessionDurationSeconds: 900, linkedAt: 'org',
};

/** Hands out per-deployment fake credentials; `provider: undefined` behaves like an org with no provider. */
export function fakeBroker(opts: { provider?: ResolvedProvider; beforeResolve?: () => Promise<void> } = { provider: testProvider }) {
  const opened: CredentialRequest[] = [];
  const issued: SessionCredentials[] = [];
  let closed = 0;
  const broker: CredentialBroker = {
    async resolve() {
      await opts.beforeResolve?.();
      if (!opts.provider) throw new HangarError('PROVIDER_NOT_CONFIGURED', 'No provider is linked for this app, stage or org. Create one with `hangar providers create` and link it with `hangar providers link`.');
      return opts.provider;
    },
    async open(request) {
      opened.push(request);
      const n = issued.length;
      const creds = new SessionCredentials({ accessKeyId: `ASIAFAKE${String(n).padStart(12, '0')}`, secretAccessKey: `fake-secret-${request.deploymentId}-xyz`, sessionToken: `fake-token-${request.deploymentId}-abc` });
      issued.push(creds);
      return { current: async () => creds, region: 'us-east-1', endpoint: 'http://127.0.0.1:1', close: () => { closed++; } };
    },
  };
  return { broker, opened, issued, closedCount: () => closed };
}

export interface Harness {
  readonly app: FastifyInstance;
  readonly feature: DeploymentsFeature;
  readonly store: TestStore;
  readonly dataDir: string;
  readonly audit: AuditEventInput[];
  readonly logs: string[];
  readonly orgA: string;
  readonly orgB: string;
  /** Headers that make the request come from a member of `org` with `role`. */
  as(org: string, role?: Role): Record<string, string>;
  close(): Promise<void>;
}

export async function createHarness(options: {
  kind?: 'sqlite' | 'postgres';
  broker?: CredentialBroker;
  limits?: Partial<EngineConfig['limits']>;
  workers?: number;
  /** config.queue.orgConcurrency (default 4). */
  orgConcurrency?: number;
  start?: boolean;
  /** Share a store with another harness (two engines on one PostgreSQL schema); its owner cleans it up. */
  store?: TestStore;
} & DeploymentsOptions = {}): Promise<Harness> {
  const store = options.store ?? await openTestStore(options.kind ?? 'sqlite');
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-deploy-'));
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => logs.push(l) });
  const audit: AuditEventInput[] = [];
  const config: EngineConfig = {
    publicUrl: 'http://127.0.0.1:7300', dataDir, database: { kind: 'sqlite', path: join(dataDir, 'unused.db') },
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'AKIAENGINE', secretAccessKey: 'engine-secret' } },
    limits: { maxFiles: 1000, maxTotalBytes: 10 * 1024 * 1024, maxFileBytes: 1024 * 1024, maxManifestEntries: 1000, ...options.limits },
    workers: options.workers ?? 2,
    queue: { orgConcurrency: options.orgConcurrency ?? 4, leaseMs: 30_000 },
  };
  const feature = createDeploymentsFeature({
    db: store.db, clock: { now: () => new Date() }, logger, config,
    audit: { append: async (e) => void audit.push(e) },
    broker: options.broker ?? fakeBroker().broker,
    pollMs: options.pollMs ?? 200,
    ...(options.lookup ? { lookup: options.lookup } : {}),
    ...(options.componentNames ? { componentNames: options.componentNames } : {}),
    ...(options.blobs ? { blobs: options.blobs } : {}),
    ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.staleMs ? { staleMs: options.staleMs } : {}),
    ...(options.listenClient ? { listenClient: options.listenClient } : {}),
    ...(options.streamHeartbeatMs ? { streamHeartbeatMs: options.streamHeartbeatMs } : {}),
    ...(options.queue ? { queue: options.queue } : {}),
    ...(options.deferSeconds !== undefined ? { deferSeconds: options.deferSeconds } : {}),
  });
  await migrateToLatest(store.db, { '0001_platform_orgs_users': orgsMigration, ...feature.migrations });
  const now = new Date().toISOString();
  await store.db.insertInto('orgs').values([{ id: 'org_a', name: 'org-a', created_at: now }, { id: 'org_b', name: 'org-b', created_at: now }]).onConflict((oc) => oc.column('id').doNothing()).execute();
  const app = Fastify({ logger: false });
  app.setErrorHandler(createErrorHandler(logger));
  app.addHook('onRequest', async (request) => {
    const h = request.headers['x-test-auth'];
    if (typeof h !== 'string') return;
    const [orgId, role] = h.split(':') as [string, Role];
    const params = /\/api\/v1\/orgs\/([^/]+)/.exec(request.url);
    if (params && params[1] !== orgId) throw new HangarError('NOT_FOUND', 'No such organisation.');
    request.auth = { orgId, userId: 'usr_1', role, actor: { kind: 'token', id: 'tok_1', userId: 'usr_1', name: 'token:ci' } };
  });
  await feature.register(app);
  await app.ready();
  if (options.start !== false) await feature.start?.();
  return {
    app, feature, store, dataDir, audit, logs, orgA: 'org_a', orgB: 'org_b',
    as: (org, role = 'deployer') => ({ 'x-test-auth': `${org}:${role}` }),
    async close() {
      await feature.stop?.();
      await app.close();
      if (!options.store) await store.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

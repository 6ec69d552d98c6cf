import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock, EngineConfig, Logger } from './types.js';
import { createEngine, type CreateEngineOptions, type Engine } from './engine.js';
import { createLogger, type LogLevel } from './logger.js';
import { openTestStore, type TestStore } from './store/test-store.js';
import type { CreatedToken } from './tokens/tokens.js';
import type { Org, User } from './orgs/orgs.js';
import type { Authenticator } from './http/auth.js';

export { openTestStore, testDatabases, testPostgresUrl, PG_SKIP_REASON } from './store/test-store.js';
export type { TestStore } from './store/test-store.js';
export { startTestIssuer, type TestIssuer } from './ci-trust/_oidc-issuer.js';

export interface TestEngineOptions {
  /** Default "sqlite". */
  readonly database?: 'sqlite' | 'postgres';
  /** Overrides merged into the test config (e.g. `aws` pointing at a local cloud started by the test). */
  readonly config?: Partial<EngineConfig>;
  readonly clock?: Clock;
  /** Level of the captured log; default "debug". */
  readonly logLevel?: LogLevel;
  /** Also print log lines to stderr (debugging). */
  readonly printLogs?: boolean;
  /** Create org "acme" with owner alice@example.com and an owner token; default true. */
  readonly seed?: boolean;
  readonly authenticators?: readonly Authenticator[];
  /** A store to share with other test engines (several engines on one PostgreSQL schema); the caller cleans it up. */
  readonly store?: TestStore;
  /** Seams of the deployments feature (poll intervals, a blob store). */
  readonly deployments?: CreateEngineOptions['deployments'];
}

export interface TestEngine extends Engine {
  readonly dataDir: string;
  readonly databaseKind: 'sqlite' | 'postgres';
  /** Every log line the engine wrote (already scrubbed), as JSON text. */
  readonly logs: string[];
  /** The seeded org, its owner and the owner's token (when `seed` is not false). */
  readonly seed: { org: Org; owner: User; token: CreatedToken } | undefined;
  /** `{ authorization: 'Bearer …' }` for a token (a CreatedToken or its text). */
  auth(token: CreatedToken | string): { authorization: string };
}

/**
 * An engine in process for tests: a temp data dir, SQLite (or a fresh PostgreSQL schema), a
 * captured logger, and a seeded org. Drive it with `engine.app.inject()`; always `await engine.close()`
 * (it also deletes the temp folder / schema).
 *
 * @example
 * const engine = await createTestEngine();
 * after(() => engine.close());
 * const res = await engine.app.inject({ url: '/api/v1/whoami', headers: engine.auth(engine.seed!.token) });
 */
export async function createTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-engine-'));
  const kind = options.store ? options.store.dialect : options.database ?? 'sqlite';
  const ownStore = !options.store && kind === 'postgres' ? await openTestStore('postgres') : undefined;
  const store = options.store ?? ownStore;
  const logs: string[] = [];
  const logger: Logger = createLogger({
    level: options.logLevel ?? 'debug',
    write: (line) => { logs.push(line); if (options.printLogs) process.stderr.write(`${line}\n`); },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const config: EngineConfig = {
    publicUrl: 'http://127.0.0.1:7300',
    dataDir,
    database: { kind: 'sqlite', path: join(dataDir, 'hangar.db') },
    aws: { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTENGINE000000', secretAccessKey: 'test-engine-secret-key-not-real-000000' } },
    limits: { maxFiles: 20_000, maxTotalBytes: 256 * 1024 * 1024, maxFileBytes: 64 * 1024 * 1024, maxManifestEntries: 20_000 },
    workers: 1,
    ci: { allowInsecureIssuers: true },
    ...options.config,
  };
  const cleanup = async () => {
    await ownStore?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let engine: Engine;
  try {
    engine = await createEngine({
      config, logger,
      ...(store ? { db: store.db } : {}),
      ...(store?.listenClient ? { listenClient: store.listenClient } : {}),
      ...(options.deployments ? { deployments: options.deployments } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.authenticators ? { authenticators: options.authenticators } : {}),
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  let seed: TestEngine['seed'];
  if (options.seed !== false) {
    const s = await engine.bootstrap.createOrg({ name: 'acme', owner: { email: 'alice@example.com', name: 'Alice' } });
    seed = { org: s.org, owner: s.user, token: s.token };
  }
  let closed = false;
  return {
    ...engine,
    dataDir,
    databaseKind: kind,
    logs,
    seed,
    auth: (token) => ({ authorization: `Bearer ${typeof token === 'string' ? token : token.token}` }),
    close: async () => {
      if (closed) return;
      closed = true;
      try { await engine.close(); } finally { await cleanup(); }
    },
  };
}

/**
 * Function operations: a deployed function's runtime logs (a page, or followed as server-sent
 * events), a health summary read from them, and invoking it once. Each is served with a short
 * session on the instance's provider role, narrowed by a session policy to exactly that
 * operation on that function (see policy.ts), opened through the credential broker (audited with
 * its purpose) and reused while valid (sessions.ts). Wired by createEngine (engine.ts).
 */
import type { CoreDeps, CredentialBroker, Feature } from '../types.js';
import type { InstanceView } from '../deployments/views.js';
import { registerFunctionRoutes } from './routes.js';
import { createOperationSessions, type OperationSessions } from './sessions.js';
import type { StreamOptions } from './stream.js';

export interface FunctionsOptions {
  readonly broker: CredentialBroker;
  readonly instance: (orgId: string, instanceId: string) => Promise<InstanceView>;
  /** Sessions unused this long are closed; default 15 min. */
  readonly sessionIdleMs?: number;
  readonly stream?: Omit<StreamOptions, 'clock' | 'logger'>;
}

export interface FunctionsFeature extends Feature {
  readonly sessions: OperationSessions;
}

export function createFunctionsFeature(deps: CoreDeps & FunctionsOptions): FunctionsFeature {
  const logger = deps.logger.child({ feature: 'functions' });
  const stopping = new AbortController();
  const idleMs = deps.sessionIdleMs ?? 15 * 60_000;
  const sessions = createOperationSessions({ broker: deps.broker, clock: deps.clock, idleMs });
  let sweeper: NodeJS.Timeout | undefined;
  return {
    name: 'functions',
    migrations: {},
    sessions,
    async register(app) {
      await registerFunctionRoutes(app, {
        clock: deps.clock, logger, broker: deps.broker, sessions, instance: deps.instance,
        stream: { ...deps.stream, stopping: stopping.signal },
      });
    },
    async start() {
      // Idle sessions go even when no request comes to trigger the sweep.
      sweeper = setInterval(() => sessions.sweep(), Math.max(1_000, Math.floor(idleMs / 3)));
      sweeper.unref();
    },
    async stop() {
      if (sweeper) clearInterval(sweeper);
      // Open log streams end first (they would otherwise hold the HTTP server open), then the sessions close.
      stopping.abort();
      sessions.closeAll();
    },
  };
}

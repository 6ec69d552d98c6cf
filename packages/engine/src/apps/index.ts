/**
 * Apps of several instances: one app deployment queues each instance's own deployment (through
 * the deployments feature) in dependency order, as soon as what it references has succeeded,
 * substituting `${output:}` references with the outputs (see service.ts). Wired by engine.ts.
 */
import { EventEmitter } from 'node:events';
import type { CoreDeps, Feature } from '../types.js';
import { registerAppRoutes } from './routes.js';
import { createAppsService, type AppsService, type AppsServiceDeps } from './service.js';
import { appsMigrations } from './tables.js';

export interface AppsOptions {
  readonly deployments: AppsServiceDeps['deployments'];
  readonly checkComponent: AppsServiceDeps['checkComponent'];
  readonly checkInputs?: AppsServiceDeps['checkInputs'];
  readonly subscribe: AppsServiceDeps['subscribe'];
  /** Most instances of one app deployment queued or running at once; default config.apps.parallelism (HANGAR_APP_PARALLELISM), else 4. */
  readonly parallelism?: number;
  /** How often running app deployments are looked at for deployments another engine finished; default 1000 ms. */
  readonly pollMs?: number;
}

export interface AppsFeature extends Feature {
  readonly apps: AppsService;
}

export function createAppsFeature(deps: CoreDeps & AppsOptions): AppsFeature {
  const logger = deps.logger.child({ feature: 'apps' });
  const pollMs = deps.pollMs ?? 1000;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const apps = createAppsService({
    db: deps.db, clock: deps.clock, logger, deployments: deps.deployments, checkComponent: deps.checkComponent, ...(deps.checkInputs ? { checkInputs: deps.checkInputs } : {}), subscribe: deps.subscribe,
    parallelism: deps.parallelism ?? deps.config.apps?.parallelism ?? 4,
    changed: (id) => void changes.emit(id),
  });
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  return {
    name: 'apps',
    migrations: appsMigrations,
    apps,
    async register(app) {
      await registerAppRoutes(app, {
        service: apps, pollMs, logger,
        onChange: (id, listener) => { changes.on(id, listener); return () => void changes.off(id, listener); },
      });
    },
    async start() {
      timer = setInterval(() => {
        if (ticking) return;
        ticking = true;
        apps.advanceAll().catch((err: unknown) => logger.error('advancing app deployments failed', { err })).finally(() => { ticking = false; });
      }, pollMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await apps.close();
    },
  };
}

import type { Clock, Db } from '../types.js';
import type { DeploymentBus } from './bus.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface DeploymentLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Resolves once every line written so far is stored. */
  flush(): Promise<void>;
}

/**
 * Stores a deployment's log lines in order (seq 1, 2, ...) and tells the bus after each one. Each
 * line goes through `scrub` first, so a secret the component prints never reaches the store or
 * a stream. Writing never throws into the component: a failed insert is reported to `onError`.
 */
export function createDeploymentLog(deps: {
  db: Db;
  clock: Clock;
  bus: DeploymentBus;
  deploymentId: string;
  scrub: (s: string) => string;
  onError: (e: unknown) => void;
}): DeploymentLog {
  let seq = 0;
  let chain: Promise<void> = Promise.resolve();
  const write = (level: LogLevel, msg: string): void => {
    const row = { deployment_id: deps.deploymentId, seq: ++seq, ts: deps.clock.now().toISOString(), level, message: deps.scrub(String(msg)).slice(0, 16_000) };
    chain = chain
      .then(() => deps.db.insertInto('deployment_logs').values(row).execute())
      .then(() => deps.bus.notify(deps.deploymentId))
      .catch(deps.onError);
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    flush: () => chain,
  };
}

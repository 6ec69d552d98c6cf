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
 * Stores a deployment's log lines in order (seq 1, 2, ..., or after the lines of an earlier run) and tells the bus after each one. Each
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
  // A deployment put back in the queue (requeue) already has lines: its next run goes on after them.
  let chain: Promise<void> = deps.db.selectFrom('deployment_logs').select((eb) => eb.fn.max('seq').as('m')).where('deployment_id', '=', deps.deploymentId).executeTakeFirst()
    .then((r) => { seq = Number(r?.m ?? 0); })
    .catch(deps.onError);
  const write = (level: LogLevel, msg: string): void => {
    const line = { deployment_id: deps.deploymentId, ts: deps.clock.now().toISOString(), level, message: deps.scrub(String(msg)).slice(0, 16_000) };
    chain = chain
      .then(() => deps.db.insertInto('deployment_logs').values({ ...line, seq: ++seq }).execute())
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

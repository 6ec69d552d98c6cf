import { EventEmitter } from 'node:events';

/**
 * Notifications: "deployment X has new log lines or a new status". Listeners then read the store,
 * which stays the one source of truth; a notification carries the deployment id and nothing else.
 */
export interface DeploymentBus {
  notify(deploymentId: string): void;
  subscribe(deploymentId: string, listener: () => void): () => void;
  /**
   * True while a change written by any engine process reaches subscribers (PostgreSQL, listening).
   * False for the in-process bus, and while a PostgreSQL listener is reconnecting: a stream then
   * polls the store every `pollMs` instead.
   */
  live(): boolean;
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/** In one process (SQLite, or PostgreSQL without a listening connection): an event emitter. */
export function createDeploymentBus(): DeploymentBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    notify: (id) => void emitter.emit(id),
    subscribe(id, listener) {
      emitter.on(id, listener);
      return () => void emitter.off(id, listener);
    },
    live: () => false,
  };
}

import { EventEmitter } from 'node:events';

/**
 * In-process notifications: "deployment X has new log lines or a new status". Listeners then read
 * the store, which stays the one source of truth (so a stream also works, by polling, when
 * another engine process runs the job).
 */
export interface DeploymentBus {
  notify(deploymentId: string): void;
  subscribe(deploymentId: string, listener: () => void): () => void;
}

export function createDeploymentBus(): DeploymentBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    notify: (id) => void emitter.emit(id),
    subscribe(id, listener) {
      emitter.on(id, listener);
      return () => void emitter.off(id, listener);
    },
  };
}

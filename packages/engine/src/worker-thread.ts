import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits next to the calling module (`callerUrl`, the caller's
 * `import.meta.url`). From dist that is `<name>.js`. From the sources (tests and benches run through
 * tsx) Node 20 does not carry tsx's loader into worker threads, so the worker first registers it,
 * then imports `<name>.ts`.
 */
export function startModuleWorker(callerUrl: string, name: string): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl));
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL(`./${name}.ts`, callerUrl).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(target)}); });`, { eval: true });
}

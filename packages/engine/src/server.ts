import { createServer } from 'node:net';
import type { Clock, Logger } from './types.js';
import type { EngineServerOptions } from './config.js';
import { createEngine, type Engine } from './engine.js';
import { createLogger } from './logger.js';

export interface RunEngineServerOptions extends Partial<Omit<EngineServerOptions, 'config'>> {
  readonly config: EngineServerOptions['config'];
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface RunningEngine {
  /** Where the engine listens, e.g. http://127.0.0.1:7300 */
  readonly url: string;
  readonly engine: Engine;
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Start the engine and listen on a port (`hangar up`, the e2e tests, a server deployment).
 * With port 0 and no explicit public URL, a free port is picked first so the public URL is right.
 *
 * @example
 * const { url, close } = await runEngineServer(loadConfigFromEnv(process.env));
 */
export async function runEngineServer(options: RunEngineServerOptions): Promise<RunningEngine> {
  const host = options.host ?? '127.0.0.1';
  let port = options.port ?? 7300;
  let config = options.config;
  if (port === 0 && /:0\/?$/.test(config.publicUrl)) {
    port = await freePort(host);
    config = Object.freeze({ ...config, publicUrl: config.publicUrl.replace(/:0\/?$/, `:${port}`) });
  }
  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info', ...(options.clock ? { clock: options.clock } : {}) });
  const engine = await createEngine({ config, logger, ...(options.clock ? { clock: options.clock } : {}), ...(options.migrate === false ? { migrate: false } : {}) });
  try {
    await engine.app.listen({ port, host });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const addr = engine.app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  engine.logger.info('engine listening', { url, publicUrl: config.publicUrl });
  return { url, engine, close: () => engine.close() };
}

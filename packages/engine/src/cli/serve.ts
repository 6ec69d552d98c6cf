/**
 * `hangar-engine serve`: the engine as a long-running service. Settings come from HANGAR_* only;
 * logs are JSON lines on stdout; SIGTERM/SIGINT drain (no new deployment is claimed, running ones
 * get HANGAR_SHUTDOWN_GRACE seconds) and then the process exits.
 */
import { loadConfigFromEnv } from '../config.js';
import { createLogger } from '../logger.js';
import { runEngineServer, type RunningEngine } from '../server.js';
import { describeError, type EngineIo } from './io.js';

export interface ServeOptions {
  /** Registers the shutdown handler (default: process SIGTERM and SIGINT). */
  readonly onSignal?: (handler: (signal: string) => void) => void;
}

/** Starts the engine and resolves with the exit code once it has drained and closed (or failed to start). */
export async function serve(io: EngineIo, options: ServeOptions = {}): Promise<number> {
  let settings;
  try {
    settings = loadConfigFromEnv(io.env);
  } catch (err) {
    io.stderr.write(`hangar-engine: ${describeError(err)}\n`);
    return 1;
  }
  const logger = createLogger({ level: settings.logLevel, write: (line) => void io.stdout.write(`${line}\n`) });
  let running: RunningEngine;
  try {
    running = await runEngineServer({ ...settings, logger });
  } catch (err) {
    logger.error('engine failed to start', { err: describeError(err) });
    io.stderr.write(`hangar-engine: ${describeError(err)}\n`);
    return 1;
  }
  // Requests in flight, so a stopping engine lets clients that followed a deployment to its end
  // (event stream, then a last read) finish before the port closes.
  let inFlight = 0;
  let lastActivity = Date.now();
  running.engine.app.server.on('request', (_req, res) => {
    inFlight++;
    lastActivity = Date.now();
    res.once('close', () => { inFlight--; lastActivity = Date.now(); });
  });
  io.stderr.write(`hangar-engine: serving ${running.url} (dashboard ${running.url}/, public URL ${running.engine.config.publicUrl}); logs are JSON lines on stdout\n`);
  logger.info('serving the API and the dashboard', {
    url: running.url, dashboard: `${running.url}/`, publicUrl: running.engine.config.publicUrl,
    awsIdentity: settings.config.aws.credentials ? 'HANGAR_ENGINE_ACCESS_KEY_ID' : 'default provider chain',
  });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) {
        // A second signal (Ctrl-C twice): stop waiting; what still runs is left for the interruption logic.
        logger.warn('second signal: exiting without waiting for running deployments', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      logger.info('draining: no new deployment will be claimed', { signal, graceSeconds: settings.shutdownGraceMs / 1000 });
      void (async () => {
        let code = 0;
        try {
          const deadline = Date.now() + settings.shutdownGraceMs;
          const drained = await running.engine.drain(settings.shutdownGraceMs);
          if (!drained.finished) logger.warn('shutdown grace period over; these deployments are left for the interruption logic', { deploymentIds: drained.stillRunning });
          // Within what is left of the grace period, wait for the API to be quiet (no request in
          // flight for a second): a CLI that saw its deployment end reads it once more.
          while (Date.now() < deadline && (inFlight > 0 || Date.now() - lastActivity < 1000)) await new Promise((r) => setTimeout(r, 100));
          // Leaving deployments behind: stop now, without waiting for their followers' streams.
          // Otherwise event streams of finished deployments may still be open: close them rather than wait.
          if (!drained.finished) running.engine.app.server.closeAllConnections();
          const closing = running.close();
          const timer = setTimeout(() => running.engine.app.server.closeAllConnections(), 5000);
          await closing;
          clearTimeout(timer);
          logger.info('engine stopped');
        } catch (err) {
          logger.error('error while stopping', { err });
          code = 1;
        }
        resolve(code);
      })();
    };
    (options.onSignal ?? ((h) => { process.on('SIGTERM', () => h('SIGTERM')); process.on('SIGINT', () => h('SIGINT')); }))(shutdown);
  });
}

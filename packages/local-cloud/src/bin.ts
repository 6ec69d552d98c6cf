#!/usr/bin/env node
/** hangar-cloud: starts the local cloud and prints its endpoint. */
import { parseArgs } from 'node:util';
import { startLocalCloud } from './server/start.js';

const usage = 'usage: hangar-cloud [--port <n>] [--host <addr>] [--data-dir <dir>] [--allow-clock-control]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4566' },
        host: { type: 'string', default: '127.0.0.1' },
        'data-dir': { type: 'string' },
        'allow-clock-control': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, got "${values.port}"\n${usage}\n`);
    process.exit(2);
  }
  const cloud = await startLocalCloud({
    port, host: values.host, dataDir: values['data-dir'], allowClockControl: values['allow-clock-control'],
  });
  process.stdout.write(`endpoint: ${cloud.endpoint}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    cloud.stop().then(() => process.exit(0), (e: unknown) => {
      process.stderr.write(`local-cloud: error while stopping: ${String(e)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`hangar-cloud: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

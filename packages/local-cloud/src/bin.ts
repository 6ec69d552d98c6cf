#!/usr/bin/env node
/** hangar-cloud: starts the local cloud and prints its endpoint. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_TOKEN_FILE } from './server/admin.js';
import { startLocalCloud } from './server/start.js';

const usage = 'usage: hangar-cloud [--port <n>] [--host <addr>] [--data-dir <dir>] [--allow-clock-control] [--max-accounts <n>] [--allow-host <name>]...';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '4566' },
        host: { type: 'string', default: '127.0.0.1' },
        'data-dir': { type: 'string' },
        'allow-clock-control': { type: 'boolean', default: false },
        'max-accounts': { type: 'string', default: '50' },
        'allow-host': { type: 'string', multiple: true, default: [] },
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
  const maxAccounts = Number(values['max-accounts']);
  if (!Number.isInteger(maxAccounts) || maxAccounts < 1) {
    process.stderr.write(`--max-accounts must be a whole number of at least 1, got "${values['max-accounts']}"\n${usage}\n`);
    process.exit(2);
  }
  const cloud = await startLocalCloud({
    port, host: values.host, dataDir: values['data-dir'], allowClockControl: values['allow-clock-control'],
    maxAccounts, allowedHosts: values['allow-host'],
  });
  // Without a data dir the token still goes to a file only this user can read, never to stdout.
  let tokenFile = cloud.adminTokenFile;
  let tempDir: string | undefined;
  if (tokenFile === undefined) {
    tempDir = mkdtempSync(join(tmpdir(), 'hangar-cloud-'));
    tokenFile = join(tempDir, ADMIN_TOKEN_FILE);
    writeFileSync(tokenFile, `${cloud.adminToken}\n`, { mode: 0o600 });
  }
  process.stdout.write(`endpoint: ${cloud.endpoint}\n`);
  process.stdout.write(`admin token: ${tokenFile} (send it as "Authorization: Bearer <token>" to /_local/*)\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    cloud.stop().then(() => {
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      process.exit(0);
    }, (e: unknown) => {
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

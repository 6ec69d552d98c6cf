#!/usr/bin/env node
/**
 * hangar-engine: how a team runs Hangar. `serve` runs the engine (API + dashboard), `bootstrap`
 * creates the first org and owner on an empty database, `check` says whether the settings, the
 * database and the engine's AWS identity work, `rotate-keys` rotates the shared signing keys. Settings come only from HANGAR_* variables
 * (docs/engine-config.md).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { EngineIo } from './cli/io.js';

// The AWS SDK warns on every start that releases after January 2027 need Node 22: an operator
// learns that from the docs, not from each log. Set before any SDK module loads (commands load lazily).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: readonly string[], io: EngineIo): Promise<number> {
  let code = 0;
  const program = new Command('hangar-engine')
    .description('The Hangar engine. Configured by HANGAR_* environment variables (docs/engine-config.md).')
    .version((JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  program.command('serve').description('migrate (unless HANGAR_MIGRATE=off), serve the API and the dashboard; SIGTERM drains')
    .action(async () => {
      code = await (await import('./cli/serve.js')).serve(io);
      // Deployments left running after the grace period (and their sockets) must not keep the process up.
      process.exit(code);
    });
  program.command('bootstrap').description('on an empty database, create the first org and its owner and print the owner\'s API token once')
    .requiredOption('--org <name>', 'the organisation name').requiredOption('--owner <email>', "the owner's email").option('--owner-name <name>', "the owner's display name")
    .action(async (o: { org: string; owner: string; ownerName?: string }) => { code = await (await import('./cli/bootstrap.js')).bootstrap(io, o); });
  program.command('check').description('validate every setting, reach the database and call sts:GetCallerIdentity with the engine identity')
    .action(async () => { code = await (await import('./cli/check.js')).check(io); });
  program.command('rotate-keys').description('make new signing keys (OIDC tokens, audit checkpoints) for every engine on the database; the previous OIDC key stays in the JWKS for the overlap')
    .option('--only <purpose>', 'oidc or audit (default: both)').option('--overlap-hours <hours>', 'how long the previous OIDC key stays published (default 24)')
    .action(async (o: { only?: string; overlapHours?: string }) => { code = await (await import('./cli/rotate-keys.js')).rotateKeys(io, o); });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

main(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`hangar-engine: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);

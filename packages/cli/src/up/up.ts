/**
 * `hangar up`: the embedded default. Starts the local cloud and the engine (which serves the
 * dashboard), does the first-start setup visibly, logs this CLI in, and with `--example` deploys
 * examples/hello-http and shows its URL answering. Runs until Ctrl-C (or `--exit`).
 */
import type { instanceByName, ReplyOf } from '@hangar/core/api';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { CommandContext } from '../context.js';
import { hangarHome, readLogin, writeLogin } from '../config.js';
import { deploy } from '../commands/deploy.js';
import { loadProject } from '../project-file.js';
import type { Extension } from '../main.js';

export interface UpOptions {
  readonly dataDir?: string;
  readonly port?: string;
  readonly cloudPort?: string;
  /** Deploy an example after start: true for examples/hello-http, or a project folder. */
  readonly example?: boolean | string;
  /** Stop after setting up (and deploying the example) instead of serving until Ctrl-C. */
  readonly exit?: boolean;
}

function portOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}: expected a port from 0 to 65535, got "${value}"`);
  return n;
}

/** examples/hello-http in this repository (the CLI runs from packages/cli/dist/up or src/up). */
export function bundledExample(): string {
  return fileURLToPath(new URL('../../../../examples/hello-http', import.meta.url));
}

export async function up(ctx: CommandContext, options: UpOptions, waitForStop: () => Promise<void>): Promise<number> {
  const out = (s: string) => ctx.stdout.write(`${s}\n`);
  let port: number | undefined;
  let cloudPort: number | undefined;
  try {
    port = portOption(options.port, '--port');
    cloudPort = portOption(options.cloudPort, '--cloud-port');
  } catch (e) {
    ctx.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const home = hangarHome(ctx.env, ctx.cwd);
  const dataDir = options.dataDir ? resolve(ctx.cwd, options.dataDir) : join(home, 'local');
  const { startEmbedded } = await import('@hangar/engine');
  out(pc.bold(`Starting Hangar (data in ${dataDir})`));
  const embedded = await startEmbedded({
    dataDir,
    ...(port === undefined ? {} : { port }),
    ...(cloudPort === undefined ? {} : { cloudPort }),
    step: (m) => out(`${pc.green('•')} ${m}`),
    logger: quietLogger(),
  });
  try {
    if (embedded.ownerToken) {
      writeLogin(home, { url: embedded.engineUrl, token: embedded.ownerToken, orgId: embedded.orgId });
      out(`${pc.green('•')} Owner API token (shown once; the CLI is now logged in with it, in ${home}):`);
      out(`    ${pc.bold(embedded.ownerToken)}`);
    } else {
      const login = readLogin(home);
      if (login && login.url !== embedded.engineUrl) {
        writeLogin(home, { ...login, url: embedded.engineUrl });
      }
      out(`${pc.green('•')} Using the existing org ${embedded.orgId} and provider "${embedded.providerName}" (${embedded.roleArn})`);
    }
    out('');
    out(`  Engine     ${embedded.engineUrl}`);
    out(`  Dashboard  ${embedded.dashboardUrl}   (sign in with the API token above, or \`hangar tokens create <name>\`)`);
    out(`  Cloud      ${embedded.cloudUrl}   (local AWS-compatible endpoint)`);
    out('');

    if (options.example) {
      const dir = typeof options.example === 'string' ? resolve(ctx.cwd, options.example) : bundledExample();
      if (!existsSync(join(dir, 'hangar.yml')) && !existsSync(join(dir, 'serverless.yml'))) {
        ctx.stderr.write(`No hangar.yml in ${dir}: pass --example <folder with a hangar.yml>.\n`);
        return 1;
      }
      out(pc.bold(`Deploying the example in ${dir}`));
      const exampleCtx = { ...ctx, cwd: dir, env: { ...ctx.env, HANGAR_HOME: home, HANGAR_URL: undefined, HANGAR_TOKEN: undefined } };
      const code = await deploy(exampleCtx, {});
      if (code !== 0) return code;
      await showAnswer(exampleCtx, embedded, out);
    }
    if (options.exit) return 0;
    out(pc.dim('Serving. Press Ctrl-C to stop.'));
    await waitForStop();
    return 0;
  } finally {
    await embedded.close();
  }
}

/** Ask the engine for the example's URL and show that it answers, as a person would with curl. */
async function showAnswer(ctx: CommandContext, embedded: { engineUrl: string; orgId: string; ownerToken: string | undefined }, out: (s: string) => void): Promise<void> {
  const { project } = loadProject(ctx.cwd, ctx.env);
  const login = readLogin(hangarHome(ctx.env, ctx.cwd));
  if (!login) return;
  const path = ['instances', 'by-name', project.app, project.stage, project.name].map(encodeURIComponent).join('/');
  const res = await fetch(`${embedded.engineUrl}/api/v1/orgs/${encodeURIComponent(embedded.orgId)}/${path}`, { headers: { authorization: `Bearer ${login.token}` } });
  if (!res.ok) return;
  const body = (await res.json()) as ReplyOf<typeof instanceByName>;
  const url = body.outputs.url;
  if (typeof url !== 'string') return;
  const answer = await fetch(url);
  out('');
  out(`${pc.green('•')} ${pc.bold(url)} answers ${answer.status}: ${(await answer.text()).slice(0, 200)}`);
  out(`  Try it: curl ${url}`);
}

/** Engine log lines go to a file-less sink unless HANGAR_LOG is set; `up` prints its own steps. */
function quietLogger() {
  const noop = () => {};
  const logger = { debug: noop, info: noop, warn: noop, error: noop, addSecret: noop, removeSecret: noop, child: () => logger };
  return logger;
}

export const upExtension: Extension = (program: Command, ctx: CommandContext, done: (code: number) => void) => {
  program.command('up').description('start the engine, the local cloud and the dashboard on this machine (first start sets everything up)')
    .option('--data-dir <dir>', 'where state lives (default: $HANGAR_HOME/local)')
    .option('--port <port>', 'engine and dashboard port (default 7300; 0 picks a free one)')
    .option('--cloud-port <port>', 'local cloud port (default: engine port + 1)')
    .option('--example [dir]', 'deploy an example project after start (default: examples/hello-http)')
    .option('--exit', 'stop after setup instead of serving')
    .action(async (o: UpOptions) => done(await up(ctx, o, () => new Promise<void>((res) => {
      process.once('SIGINT', () => res());
      process.once('SIGTERM', () => res());
    }))));
};

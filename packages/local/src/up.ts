/**
 * `hangar up`: the embedded default. Starts the local cloud and the engine (which serves the
 * dashboard), does the first-start setup visibly, logs this CLI in, and with `--example` deploys
 * examples/hello-http and shows its URL answering. Runs until Ctrl-C (or `--exit`).
 */
import type { instanceByName, ReplyOf } from '@hangar/core/api';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHangarError } from '@hangar/core';
import { createLogger } from '@hangar/engine';
import pc from 'picocolors';
import { startEmbedded } from './start.js';
import { portInUse, type UpCli, type UpContext } from './up-cli.js';

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

/** examples/hello-http in this repository (this module runs from packages/local/dist or src). */
export function bundledExample(): string {
  return fileURLToPath(new URL('../../../examples/hello-http', import.meta.url));
}

export async function up(ctx: UpContext, options: UpOptions, waitForStop: () => Promise<void>, cli: UpCli): Promise<number> {
  // The engine and the local cloud run in this process. Like hangar-engine, `hangar up` does not print
  // the AWS SDK's notice that its releases after January 2027 need Node 22 (docs/self-host.md says
  // it); set before any client is made. Here, not in the CLI: the CLI never touches AWS_* variables.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const out = (s: string) => ctx.stdout.write(`${s}\n`);
  let port: number | undefined;
  let cloudPort: number | undefined;
  try {
    port = options.port !== undefined ? portOption(options.port, '--port') : portOption(ctx.env.HANGAR_PORT || undefined, 'HANGAR_PORT');
    cloudPort = portOption(options.cloudPort, '--cloud-port');
  } catch (e) {
    ctx.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  const home = cli.hangarHome(ctx.env, ctx.cwd);
  const dataDir = options.dataDir ? resolve(ctx.cwd, options.dataDir) : join(home, 'local');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // The engine's JSON lines go to a file, so the request id in a 500 can be looked up there.
  const logFile = join(dataDir, 'engine.log');
  const logStream = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const closeLog = () => new Promise<void>((res) => logStream.end(() => res()));
  out(pc.bold(`Starting Hangar (data in ${dataDir})`));
  let embedded: Awaited<ReturnType<typeof startEmbedded>>;
  try {
    embedded = await startEmbedded({
      dataDir,
      ...(port === undefined ? {} : { port }),
      ...(cloudPort === undefined ? {} : { cloudPort }),
      step: (m) => out(`${pc.green('•')} ${m}`),
      logger: createLogger({ write: (line) => void logStream.write(`${line}\n`) }),
    });
  } catch (e) {
    await closeLog();
    const inUse = portInUse(e, { port, cloudPort });
    if (inUse) {
      ctx.stderr.write(`${inUse}\n`);
      return 1;
    }
    if (isHangarError(e) && e.code === 'ENGINE_DATA_DIR_LOCKED') {
      ctx.stderr.write(`${pc.red('✖')} ${e.message.replace('(HANGAR_DATA_DIR)', '(`hangar up --data-dir <folder>`)')} (${e.code})\n`);
      return 1;
    }
    if (isHangarError(e)) {
      ctx.stderr.write(`${pc.red('✖')} ${e.message} (${e.code})\n`);
      return 1;
    }
    throw e;
  }
  try {
    if (embedded.ownerToken) {
      cli.writeLogin(home, { url: embedded.engineUrl, token: embedded.ownerToken, orgId: embedded.orgId });
      out(`${pc.green('•')} Owner API token (shown once; the CLI is now logged in with it, in ${home}):`);
      out(`    ${pc.bold(embedded.ownerToken)}`);
    } else {
      const login = cli.readLogin(home);
      if (login && login.url !== embedded.engineUrl) {
        cli.writeLogin(home, { ...login, url: embedded.engineUrl });
      }
      out(`${pc.green('•')} Using the existing org ${embedded.orgId} and provider "${embedded.providerName}" (${embedded.roleArn})`);
    }
    out('');
    out(`  Engine     ${embedded.engineUrl}`);
    out(`  Dashboard  ${embedded.dashboardUrl}   (sign in with the API token above, or \`hangar tokens create <name>\`)`);
    out(`  Cloud      ${embedded.cloudUrl}   (local AWS-compatible endpoint)`);
    out(`             (\`hangar cloud credentials\` prints an aws CLI profile for it; admin token in ${join(dataDir, 'cloud', 'admin-token')})`);
    out(`  Log        ${logFile}   (the engine's JSON lines; look up a request id here)`);
    out('');

    if (options.example) {
      const dir = typeof options.example === 'string' ? resolve(ctx.cwd, options.example) : bundledExample();
      if (!existsSync(join(dir, 'hangar.yml')) && !existsSync(join(dir, 'serverless.yml'))) {
        ctx.stderr.write(`No hangar.yml in ${dir}: pass --example <folder with a hangar.yml>.\n`);
        return 1;
      }
      out(pc.bold(`Deploying the example in ${dir}`));
      const exampleCtx = { ...ctx, cwd: dir, env: { ...ctx.env, HANGAR_HOME: home, HANGAR_URL: undefined, HANGAR_TOKEN: undefined } };
      const code = await cli.deploy(exampleCtx, {});
      if (code !== 0) return code;
      await showAnswer(exampleCtx, embedded, out, cli);
    }
    if (options.exit) return 0;
    out(pc.dim('Serving. Press Ctrl-C to stop.'));
    await waitForStop();
    return 0;
  } finally {
    await embedded.close();
    await closeLog();
  }
}

/** Ask the engine for the example's URL and show that it answers, as a person would with curl. */
async function showAnswer(ctx: UpContext, embedded: { engineUrl: string; orgId: string; ownerToken: string | undefined }, out: (s: string) => void, cli: UpCli): Promise<void> {
  const { project } = cli.loadProject(ctx.cwd, ctx.env);
  const login = cli.readLogin(cli.hangarHome(ctx.env, ctx.cwd));
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

/**
 * `hangar up` lives in the `@hangar/local` package (the engine and the local cloud), which the
 * CLI does not depend on: installing the CLI installs no server. It is loaded here, only when
 * `hangar up` runs; when it is not installed the person is told how to get it.
 */
import type { CommandContext } from '../context.js';
import { hangarHome, readLogin, writeLogin } from '../config.js';
import { loadProject } from '../project-file.js';
import { deploy } from './deploy.js';

export interface UpOptions {
  readonly dataDir?: string;
  readonly port?: string;
  readonly cloudPort?: string;
  readonly example?: boolean | string;
  readonly exit?: boolean;
}

/** The part of `@hangar/local` the CLI calls (its own types live there; the CLI does not import them). */
export interface LocalPackage {
  up(ctx: CommandContext, options: UpOptions, waitForStop: () => Promise<void>, cli: {
    hangarHome: typeof hangarHome; readLogin: typeof readLogin; writeLogin: typeof writeLogin;
    deploy: typeof deploy; loadProject: typeof loadProject;
  }): Promise<number>;
}

export const LOCAL_PACKAGE = '@hangar/local';

export const NOT_INSTALLED = `\`hangar up\` needs the ${LOCAL_PACKAGE} package (the engine and the local cloud), which is not installed.
Install it next to the CLI:  npm install ${LOCAL_PACKAGE}
or run Hangar from a clone of its repository:  npm ci && npx hangar up
To deploy to an engine that runs elsewhere, \`hangar login --url URL\` is enough.\n`;

/** Loads `@hangar/local`; undefined when it is not installed. `specifier` is for tests. */
export async function loadLocal(specifier: string = LOCAL_PACKAGE): Promise<LocalPackage | undefined> {
  try {
    // A specifier in a variable: neither TypeScript nor a bundler turns this into a dependency.
    return (await import(specifier)) as LocalPackage;
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    if ((err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && String(err.message).includes(`'${specifier}'`)) return undefined;
    throw e;
  }
}

export async function up(ctx: CommandContext, options: UpOptions, waitForStop: () => Promise<void>, specifier?: string): Promise<number> {
  const local = await loadLocal(specifier);
  if (!local) {
    ctx.stderr.write(NOT_INSTALLED);
    return 1;
  }
  return local.up(ctx, options, waitForStop, { hangarHome, readLogin, writeLogin, deploy, loadProject });
}

/**
 * What `hangar up` is given by the CLI. The CLI loads this package only when `hangar up` runs and
 * passes in what `up` needs of it (login file, deploy), so this package never imports the CLI
 * and installing the CLI installs no server.
 */

/** What `up` is given: the CLI's command context (cwd, filtered env, streams). */
export interface UpContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

export interface UpLogin { readonly url: string; readonly token: string; readonly orgId: string }

/** The CLI functions `up` uses, passed in by the CLI. */
export interface UpCli {
  hangarHome(env: Readonly<Record<string, string | undefined>>, cwd: string): string;
  readLogin(home: string): UpLogin | undefined;
  writeLogin(home: string, login: UpLogin): void;
  deploy(ctx: UpContext, options: Record<string, never>): Promise<number>;
  loadProject(dir: string, env: Readonly<Record<string, string | undefined>>): { project: { readonly app: string; readonly stage: string; readonly name: string } };
}

/** A listen error for a port someone else holds, as the person can fix it. */
export function portInUse(e: unknown, ports: { port: number | undefined; cloudPort: number | undefined }): string | undefined {
  const err = e as { code?: unknown; port?: unknown; message?: unknown };
  if (err?.code !== 'EADDRINUSE') return undefined;
  const port = typeof err.port === 'number' ? err.port : Number(/:(\d+)\s*$/.exec(String(err.message))?.[1] ?? NaN);
  const engine = ports.port ?? 7300;
  const isCloud = Number.isInteger(port) && port !== engine && port === (ports.cloudPort ?? engine + 1);
  const which = Number.isInteger(port) ? `port ${port}` : 'a port Hangar needs';
  return isCloud
    ? `${which} (the local cloud's) is in use — another \`hangar up\`? use --cloud-port, or --port / HANGAR_PORT (the cloud takes the next port)`
    : `${which} is in use — another \`hangar up\`? use --port or HANGAR_PORT`;
}
